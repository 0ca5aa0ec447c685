package sqlstore_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sqlstore"
)

// Deleting a namespace revokes the tokens limited to it and removes the roles in it, so a
// namespace made later under the same name starts with no access; other namespaces keep theirs.
func TestDeleteNamespaceEndsAccess(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateNamespace(t, db, "dev")
		mustCreateNamespace(t, db, "prod")
		tokens := map[string]*ferry.Token{}
		for _, ns := range []string{"dev", "prod", ""} {
			tok := &ferry.Token{Description: "t " + ns, Permissions: []ferry.Permission{ferry.PermNamespacesRead}, Namespace: ns, CreatedBy: "admin", ExpiresAt: fixedNow.Add(time.Hour)}
			if err := db.CreateToken(ctx, tok, sha256.Sum256([]byte("token-"+ns))); err != nil {
				t.Fatal(err)
			}
			tokens[ns] = tok
		}
		mustCreateUser(t, db, &ferry.User{Name: "alice", Roles: map[string]string{"dev": ferry.RoleEditor, "prod": ferry.RoleViewer}}, "h")
		if err := db.DeleteNamespace(ctx, "dev"); err != nil {
			t.Fatal(err)
		}
		for ns, revoked := range map[string]bool{"dev": true, "prod": false, "": false} {
			got, err := db.FindToken(ctx, tokens[ns].ID)
			if err != nil || got.RevokedAt.IsZero() != !revoked {
				t.Errorf("token limited to %q: %+v, %v; want revoked %v", ns, got, err, revoked)
			}
		}
		u, err := db.FindUser(ctx, "alice")
		if err != nil || len(u.Roles) != 1 || u.Roles["prod"] != ferry.RoleViewer {
			t.Fatalf("alice after the delete: %+v, %v", u, err)
		}
	})
}

// Deleting a user revokes the tokens they made, and no others.
func TestDeleteUserRevokesTheirTokens(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateUser(t, db, &ferry.User{Name: "alice"}, "h")
		var ids []int64
		for i, by := range []string{"user:alice", "user:alice2", "admin"} {
			tok := &ferry.Token{Description: by, Permissions: []ferry.Permission{ferry.PermNamespacesRead}, CreatedBy: by, ExpiresAt: fixedNow.Add(time.Hour)}
			if err := db.CreateToken(ctx, tok, sha256.Sum256([]byte{byte(i)})); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, tok.ID)
		}
		if err := db.DeleteUser(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		for i, want := range []bool{true, false, false} {
			tok, err := db.FindToken(ctx, ids[i])
			if err != nil || tok.RevokedAt.IsZero() == want {
				t.Errorf("token by %s: revoked %v, want %v (%v)", tok.CreatedBy, !tok.RevokedAt.IsZero(), want, err)
			}
		}
	})
}
