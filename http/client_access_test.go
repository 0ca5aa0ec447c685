package http_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
)

// TestClientListAudit: the client follows the audit log's pages with their cursors, and
// sends since and until with their fractions of a second, so entries within one second
// are told apart.
func TestClientListAudit(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
	ts := newTestServer(t, func(s *fhttp.Server) { s.Now = clock.Now })
	ctx := context.Background()
	for i := range 5 {
		if _, err := ts.Client.CreateNamespace(ctx, fmt.Sprintf("ns%d", i)); err != nil {
			t.Fatal(err)
		}
		clock.advance(250 * time.Millisecond)
	}
	var ids []int64
	f := ferry.AuditFilter{Actor: "admin", Action: "POST /api/v1/namespaces", Page: ferry.Page{Limit: 2}}
	for pages := 1; ; pages++ {
		items, next, err := ts.Client.ListAudit(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range items {
			ids = append(ids, e.ID)
		}
		if next == "" {
			if pages != 3 {
				t.Errorf("%d pages of 2 for 5 entries", pages)
			}
			break
		}
		f.Page.Cursor = next
	}
	if len(ids) != 5 {
		t.Fatalf("IDs over the pages = %v, want 5", ids)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] >= ids[i-1] {
			t.Fatalf("IDs over the pages = %v, want them newest first, each once", ids)
		}
	}

	all, _, err := ts.Client.ListAudit(ctx, ferry.AuditFilter{Action: "POST /api/v1/namespaces"})
	if err != nil || len(all) != 5 {
		t.Fatalf("all = %d entries, %v", len(all), err)
	}
	mid := all[2].Time // 09:00:00.5; the newest is at 09:00:01
	since, _, err := ts.Client.ListAudit(ctx, ferry.AuditFilter{Action: "POST /api/v1/namespaces", Since: mid})
	if err != nil || len(since) != 3 || since[2].ID != all[2].ID {
		t.Errorf("since %s: %d entries, %v", mid.Format(time.RFC3339Nano), len(since), err)
	}
	until, _, err := ts.Client.ListAudit(ctx, ferry.AuditFilter{Action: "POST /api/v1/namespaces", Until: mid})
	if err != nil || len(until) != 2 || until[0].ID != all[3].ID {
		t.Errorf("until %s: %d entries, %v", mid.Format(time.RFC3339Nano), len(until), err)
	}
}

// TestClientUsers: user names with '@' and '.' reach the right user, and SetUserRole with
// no role takes the role away.
func TestClientUsers(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.mustNamespace(t, "dev")
	const name = "ops.alice@example.com"
	if _, err := ts.Client.CreateUser(ctx, fhttp.UserRequest{Name: name, Password: "a long enough password"}); err != nil {
		t.Fatal(err)
	}
	u, err := ts.Client.SetUserRole(ctx, name, "dev", ferry.RoleEditor)
	if err != nil || u.Name != name || u.Roles["dev"] != ferry.RoleEditor {
		t.Fatalf("grant = %+v, %v", u, err)
	}
	if u, err = ts.Client.GetUser(ctx, name); err != nil || u.Roles["dev"] != ferry.RoleEditor {
		t.Fatalf("get = %+v, %v", u, err)
	}
	if u, err = ts.Client.SetUserRole(ctx, name, "dev", ""); err != nil || len(u.Roles) != 0 {
		t.Fatalf("revoke = %+v, %v", u, err)
	}
	if err := ts.Client.SetUserPassword(ctx, name, fhttp.PasswordRequest{Password: "another long password"}); err != nil {
		t.Fatal(err)
	}
	if err := ts.Client.DeleteUser(ctx, name); err != nil {
		t.Fatal(err)
	}
	_, err = ts.Client.GetUser(ctx, name)
	wantCode(t, err, ferry.ENOTFOUND)
	users, err := ts.Client.ListUsers(ctx)
	if err != nil || len(users) != 0 {
		t.Errorf("users = %v, %v", users, err)
	}
}
