package sqlstore_test

import (
	"context"
	"crypto/sha256"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sqlstore"
)

func mustCreateUser(t *testing.T, db *sqlstore.DB, u *ferry.User, passwordHash string) *ferry.User {
	t.Helper()
	if err := db.CreateUser(context.Background(), u, passwordHash); err != nil {
		t.Fatal(err)
	}
	return u
}

func wantRoles(t *testing.T, db *sqlstore.DB, name string, want map[string]string) {
	t.Helper()
	u, err := db.FindUser(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if u.Roles == nil || len(u.Roles) != len(want) || (len(want) > 0 && !reflect.DeepEqual(u.Roles, want)) {
		t.Fatalf("roles of %s = %#v, want %#v", name, u.Roles, want)
	}
}

func TestUsers(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if n, err := db.CountUsers(ctx); err != nil || n != 0 {
			t.Fatalf("count = %d, %v", n, err)
		}
		alice := mustCreateUser(t, db, &ferry.User{Name: "alice", Roles: map[string]string{"dev": ferry.RoleEditor}}, "hash1")
		if alice.ID == 0 || !alice.CreatedAt.Equal(fixedNow) {
			t.Fatalf("created %+v", alice)
		}
		err := db.CreateUser(ctx, &ferry.User{Name: "alice", Admin: true}, "x")
		wantCode(t, err, ferry.ECONFLICT)
		if !strings.Contains(err.Error(), `"alice"`) {
			t.Fatalf("the conflict does not name the user: %v", err)
		}
		for _, u := range []*ferry.User{
			{Name: ""}, {Name: "-alice"}, {Name: "a b"}, {Name: strings.Repeat("a", 65)},
			{Name: "dan", Roles: map[string]string{"dev": ferry.RoleAdmin}},
			{Name: "dan", Roles: map[string]string{"": ferry.RoleViewer}},
		} {
			wantCode(t, db.CreateUser(ctx, u, "x"), ferry.EINVALID)
		}
		root := mustCreateUser(t, db, &ferry.User{Name: "Root", Admin: true}, "hash2")
		mustCreateUser(t, db, &ferry.User{Name: "bob@example.com"}, "hash3")
		if n, err := db.CountUsers(ctx); err != nil || n != 3 {
			t.Fatalf("count = %d, %v", n, err)
		}

		got, err := db.FindUser(ctx, "alice")
		if err != nil || !reflect.DeepEqual(got, alice) {
			t.Fatalf("find = %+v, %v; want %+v", got, err, alice)
		}
		if got, err := db.FindUserByID(ctx, root.ID); err != nil || got.Name != "Root" || !got.Admin || got.Roles == nil || len(got.Roles) != 0 {
			t.Fatalf("find by ID = %+v, %v", got, err)
		}
		if u, hash, err := db.UserPassword(ctx, "alice"); err != nil || hash != "hash1" || !reflect.DeepEqual(u, alice) {
			t.Fatalf("password = %+v, %q, %v", u, hash, err)
		}
		_, err = db.FindUser(ctx, "nobody")
		wantCode(t, err, ferry.ENOTFOUND)
		_, err = db.FindUserByID(ctx, 999)
		wantCode(t, err, ferry.ENOTFOUND)
		_, _, err = db.UserPassword(ctx, "nobody")
		wantCode(t, err, ferry.ENOTFOUND)

		// Roles: given, changed in place, taken away; a namespace need not exist.
		steps := []struct {
			ns, role string
			want     map[string]string
		}{
			{"prod", ferry.RoleViewer, map[string]string{"dev": ferry.RoleEditor, "prod": ferry.RoleViewer}},
			{"dev", ferry.RoleMaintainer, map[string]string{"dev": ferry.RoleMaintainer, "prod": ferry.RoleViewer}},
			{"prod", "", map[string]string{"dev": ferry.RoleMaintainer}},
			{"prod", "", map[string]string{"dev": ferry.RoleMaintainer}}, // none to take: no error
		}
		for _, s := range steps {
			if err := db.SetUserRole(ctx, "alice", s.ns, s.role); err != nil {
				t.Fatalf("set %s=%q: %v", s.ns, s.role, err)
			}
			wantRoles(t, db, "alice", s.want)
		}
		wantCode(t, db.SetUserRole(ctx, "alice", "dev", ferry.RoleAdmin), ferry.EINVALID)
		wantCode(t, db.SetUserRole(ctx, "alice", "dev", "owner"), ferry.EINVALID)
		wantCode(t, db.SetUserRole(ctx, "nobody", "dev", ferry.RoleViewer), ferry.ENOTFOUND)
		wantCode(t, db.SetUserRole(ctx, "nobody", "dev", ""), ferry.ENOTFOUND)
		wantRoles(t, db, "alice", map[string]string{"dev": ferry.RoleMaintainer})

		// Listed by name, bytewise on both dialects, each with its own roles.
		if err := db.SetUserRole(ctx, "bob@example.com", "prod", ferry.RoleViewer); err != nil {
			t.Fatal(err)
		}
		list, err := db.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, u := range list {
			names = append(names, u.Name+"="+strings.Join(sortedRoles(u.Roles), ","))
		}
		if want := "Root= alice=dev:maintainer bob@example.com=prod:viewer"; join(names) != want {
			t.Fatalf("listed %q, want %q", join(names), want)
		}
	})
}

func sortedRoles(roles map[string]string) []string {
	var s []string
	for ns, r := range roles {
		s = append(s, ns+":"+r)
	}
	slices.Sort(s)
	return s
}

func sessionHash(s string) [32]byte { return sha256.Sum256([]byte("session " + s)) }

func mustCreateSession(t *testing.T, db *sqlstore.DB, userID int64, secret string) *ferry.Session {
	t.Helper()
	s := &ferry.Session{UserID: userID, ExpiresAt: fixedNow.Add(12 * time.Hour)}
	if err := db.CreateSession(context.Background(), s, sessionHash(secret)); err != nil {
		t.Fatal(err)
	}
	return s
}

func wantSession(t *testing.T, db *sqlstore.DB, secret string, want bool) {
	t.Helper()
	_, err := db.FindSession(context.Background(), sessionHash(secret))
	if want && err != nil {
		t.Fatalf("session %s: %v", secret, err)
	}
	if !want {
		wantCode(t, err, ferry.ENOTFOUND)
	}
}

func TestSessions(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		alice := mustCreateUser(t, db, &ferry.User{Name: "alice"}, "old")
		bob := mustCreateUser(t, db, &ferry.User{Name: "bob"}, "bob's")
		s := mustCreateSession(t, db, alice.ID, "a1")
		if s.ID == 0 || !s.CreatedAt.Equal(fixedNow) {
			t.Fatalf("created %+v", s)
		}
		got, err := db.FindSession(ctx, sessionHash("a1"))
		if err != nil || !reflect.DeepEqual(got, s) {
			t.Fatalf("find = %+v, %v; want %+v", got, err, s)
		}
		wantSession(t, db, "nope", false)
		wantCode(t, db.CreateSession(ctx, &ferry.Session{UserID: 999, ExpiresAt: fixedNow}, sessionHash("x")), ferry.ENOTFOUND)
		wantCode(t, db.CreateSession(ctx, &ferry.Session{UserID: bob.ID, ExpiresAt: fixedNow}, sessionHash("a1")), ferry.ECONFLICT)

		// Logging out ends one session; ending one that is gone is no error.
		mustCreateSession(t, db, alice.ID, "a2")
		if err := db.DeleteSession(ctx, sessionHash("a2")); err != nil {
			t.Fatal(err)
		}
		wantSession(t, db, "a2", false)
		if err := db.DeleteSession(ctx, sessionHash("a2")); err != nil {
			t.Fatal(err)
		}

		// A new password ends every session of its user, and only of its user.
		mustCreateSession(t, db, alice.ID, "a3")
		mustCreateSession(t, db, bob.ID, "b1")
		if err := db.SetUserPassword(ctx, "alice", "new"); err != nil {
			t.Fatal(err)
		}
		if _, hash, _ := db.UserPassword(ctx, "alice"); hash != "new" {
			t.Fatalf("password hash = %q", hash)
		}
		if _, hash, _ := db.UserPassword(ctx, "bob"); hash != "bob's" {
			t.Fatalf("bob's password hash = %q", hash)
		}
		wantSession(t, db, "a1", false)
		wantSession(t, db, "a3", false)
		wantSession(t, db, "b1", true)
		wantCode(t, db.SetUserPassword(ctx, "nobody", "x"), ferry.ENOTFOUND)

		// A login sweeps sessions that ended a day ago or more, and no others.
		for name, end := range map[string]time.Time{"old": fixedNow.Add(-25 * time.Hour), "recent": fixedNow.Add(-23 * time.Hour)} {
			if err := db.CreateSession(ctx, &ferry.Session{UserID: bob.ID, ExpiresAt: end}, sessionHash(name)); err != nil {
				t.Fatal(err)
			}
		}
		mustCreateSession(t, db, bob.ID, "b2")
		wantSession(t, db, "old", false)
		wantSession(t, db, "recent", true)
		wantSession(t, db, "b1", true)
	})
}

func TestDeleteUser(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		alice := mustCreateUser(t, db, &ferry.User{Name: "alice", Roles: map[string]string{"dev": ferry.RoleViewer}}, "h")
		bob := mustCreateUser(t, db, &ferry.User{Name: "bob", Roles: map[string]string{"dev": ferry.RoleEditor}}, "h")
		mustCreateSession(t, db, bob.ID, "b1")
		mustCreateSession(t, db, alice.ID, "a1")
		if err := db.DeleteUser(ctx, "bob"); err != nil {
			t.Fatal(err)
		}
		_, err := db.FindUser(ctx, "bob")
		wantCode(t, err, ferry.ENOTFOUND)
		_, err = db.FindUserByID(ctx, bob.ID)
		wantCode(t, err, ferry.ENOTFOUND)
		wantCode(t, db.DeleteUser(ctx, "bob"), ferry.ENOTFOUND)
		wantSession(t, db, "b1", false)
		wantSession(t, db, "a1", true)
		wantRoles(t, db, "alice", map[string]string{"dev": ferry.RoleViewer})
		if n, _ := db.CountUsers(ctx); n != 1 {
			t.Fatalf("count = %d after a delete", n)
		}

		// A new user of the same name starts without the old one's roles, under a new ID.
		again := mustCreateUser(t, db, &ferry.User{Name: "bob"}, "h")
		if again.ID <= bob.ID {
			t.Fatalf("the ID %d of a deleted user was reused (%d)", bob.ID, again.ID)
		}
		wantRoles(t, db, "bob", nil)
	})
}
