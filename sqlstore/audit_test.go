package sqlstore_test

import (
	"context"
	"encoding/base64"
	"reflect"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sqlstore"
)

// listAudit follows every page of f and returns the IDs listed and how many pages it took.
func listAudit(t *testing.T, db *sqlstore.DB, f ferry.AuditFilter) ([]int64, int) {
	t.Helper()
	var ids []int64
	for pages := 1; ; pages++ {
		items, next, err := db.ListAudit(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range items {
			ids = append(ids, e.ID)
		}
		if next == "" {
			return ids, pages
		}
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		f.Page.Cursor = next
	}
}

func TestAudit(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		at := func(minutes int) time.Time { return fixedNow.Add(time.Duration(minutes) * time.Minute) }
		entries := []*ferry.AuditEntry{
			{Time: at(-60), Actor: "admin", ActorName: "admin", Action: "POST /api/v1/namespaces", Target: "/api/v1/namespaces", Status: 201, Result: "ok"},
			{Time: at(-50), Actor: "user:alice", ActorName: "alice", Action: "PUT /api/v1/namespaces/{ns}/files/{path...}",
				Target: "/api/v1/namespaces/dev/files/a.yaml", Namespace: "dev", Status: 200, Result: "ok", RemoteAddr: "192.0.2.1"},
			{Time: at(-40), Actor: "token:1", ActorName: "ci", Action: "POST /api/v1/namespaces/{ns}/sync", Target: "/api/v1/namespaces/dev/sync",
				Namespace: "dev", Status: 202, Result: "ok"},
			{Time: at(-30).In(time.FixedZone("CET", 3600)), Actor: "token:1", ActorName: "ci", Action: "POST /api/v1/namespaces/{ns}/sync",
				Target: "/api/v1/namespaces/prod/sync", Namespace: "prod", Status: 403, Result: ferry.EFORBIDDEN},
			{Time: at(-20), Actor: "user:alice", ActorName: "alice", Action: "DELETE /api/v1/namespaces/{ns}", Target: "/api/v1/namespaces/dev",
				Namespace: "dev", Status: 409, Result: ferry.ECONFLICT},
			{Time: at(-10), Actor: "admin", ActorName: "admin", Action: "POST /api/v1/users", Target: "/api/v1/users", Status: 201, Result: "ok"},
			{Actor: "user:alice", ActorName: "alice", Action: "POST /api/v1/namespaces/{ns}/sync", Target: "/api/v1/namespaces/dev/sync",
				Namespace: "dev", Status: 202, Result: "ok"}, // no time: now
		}
		for i, e := range entries {
			if err := db.RecordAudit(ctx, e); err != nil {
				t.Fatal(err)
			}
			if e.ID == 0 || (i > 0 && e.ID <= entries[i-1].ID) || e.Time.Location() != time.UTC {
				t.Fatalf("recorded %+v", e)
			}
		}
		if last := entries[len(entries)-1]; !last.Time.Equal(fixedNow) {
			t.Fatalf("an entry without a time got %v, want now", last.Time)
		}
		if !entries[3].Time.Equal(at(-30)) {
			t.Fatalf("time %v, want %v", entries[3].Time, at(-30))
		}

		// The newest entry comes first, every field as recorded.
		items, next, err := db.ListAudit(ctx, ferry.AuditFilter{Page: ferry.Page{Limit: 2}})
		if err != nil || len(items) != 2 || next == "" {
			t.Fatalf("first page = %d items, next %q, %v", len(items), next, err)
		}
		if !reflect.DeepEqual(items[0], entries[6]) || !reflect.DeepEqual(items[1], entries[5]) {
			t.Fatalf("newest = %+v, %+v; want %+v, %+v", items[0], items[1], entries[6], entries[5])
		}

		id := func(i ...int) []int64 {
			var ids []int64
			for _, x := range i {
				ids = append(ids, entries[x].ID)
			}
			return ids
		}
		for _, tc := range []struct {
			name  string
			f     ferry.AuditFilter
			want  []int64
			pages int
		}{
			{"all in pages of 3", ferry.AuditFilter{Page: ferry.Page{Limit: 3}}, id(6, 5, 4, 3, 2, 1, 0), 3},
			{"all on one default page", ferry.AuditFilter{}, id(6, 5, 4, 3, 2, 1, 0), 1},
			{"a full last page ends the list", ferry.AuditFilter{Actor: "user:alice", Page: ferry.Page{Limit: 3}}, id(6, 4, 1), 1},
			{"actor", ferry.AuditFilter{Actor: "token:1"}, id(3, 2), 1},
			{"actor is exact", ferry.AuditFilter{Actor: "token:"}, nil, 1},
			{"action", ferry.AuditFilter{Action: "POST /api/v1/namespaces/{ns}/sync", Page: ferry.Page{Limit: 1}}, id(6, 3, 2), 3},
			{"namespace", ferry.AuditFilter{Namespace: "dev", Page: ferry.Page{Limit: 2}}, id(6, 4, 2, 1), 2},
			{"since is inclusive", ferry.AuditFilter{Since: at(-30)}, id(6, 5, 4, 3), 1},
			{"until is exclusive", ferry.AuditFilter{Until: at(-30)}, id(2, 1, 0), 1},
			{"since and until in any zone", ferry.AuditFilter{Since: at(-50).In(time.FixedZone("X", -7200)), Until: at(-20)}, id(3, 2, 1), 1},
			{"filters combine", ferry.AuditFilter{Actor: "token:1", Namespace: "dev", Since: at(-45)}, id(2), 1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ids, pages := listAudit(t, db, tc.f)
				if !reflect.DeepEqual(ids, tc.want) || pages != tc.pages {
					t.Fatalf("listed %v in %d pages, want %v in %d", ids, pages, tc.want, tc.pages)
				}
			})
		}

		for _, bad := range []string{"!!", base64.RawURLEncoding.EncodeToString([]byte("12x")), base64.RawURLEncoding.EncodeToString([]byte("-3"))} {
			_, _, err := db.ListAudit(ctx, ferry.AuditFilter{Page: ferry.Page{Cursor: bad}})
			wantCode(t, err, ferry.EINVALID)
		}
	})
}
