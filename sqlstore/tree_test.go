package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sqlstore"
)

// listAll pages through a tree listing with the given page size and renders its entries
// ("dir/" for directories).
func listAll(t *testing.T, db *sqlstore.DB, ns string, q ferry.TreeQuery) string {
	t.Helper()
	var out []string
	for i := 0; ; i++ {
		entries, next, err := db.ListTree(context.Background(), ns, q)
		if err != nil {
			t.Fatalf("list %+v: %v", q, err)
		}
		if q.Page.Limit > 0 && len(entries) > q.Page.Limit {
			t.Fatalf("page of %d entries, limit %d", len(entries), q.Page.Limit)
		}
		for _, e := range entries {
			if e.Type == ferry.EntryDir {
				out = append(out, e.Path+"/")
			} else {
				out = append(out, e.Path)
			}
		}
		if next == "" {
			return strings.Join(out, " ")
		}
		if i > 100 {
			t.Fatal("pagination does not end")
		}
		q.Page.Cursor = next
	}
}

func TestListTree(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateNamespace(t, db, "dev")
		// Names chosen around '/' in byte order: "b.txt" < "b/" < "b0".
		write(t, db, "dev", map[string]string{
			"a.yaml": "1", "b.txt": "2", "b/x": "3", "b/y/z": "4", "b0": "5", "c/d/e": "6", "c/f": "7",
		})
		write(t, db, "dev", map[string]string{"b/x": "", "b/new": "8"})

		for _, tc := range []struct {
			q    ferry.TreeQuery
			want string
		}{
			{ferry.TreeQuery{}, "a.yaml b.txt b/ b0 c/"},
			{ferry.TreeQuery{Recursive: true}, "a.yaml b.txt b/new b/y/z b0 c/d/e c/f"},
			{ferry.TreeQuery{Dir: "b"}, "b/new b/y/"},
			{ferry.TreeQuery{Dir: "c", Recursive: true}, "c/d/e c/f"},
			{ferry.TreeQuery{Revision: 1, Dir: "b"}, "b/x b/y/"},
			{ferry.TreeQuery{Revision: 1, Recursive: true}, "a.yaml b.txt b/x b/y/z b0 c/d/e c/f"},
		} {
			for _, limit := range []int{0, 1, 2, 3} {
				q := tc.q
				q.Page.Limit = limit
				if got := listAll(t, db, "dev", q); got != tc.want {
					t.Errorf("%+v limit %d: got %q, want %q", tc.q, limit, got, tc.want)
				}
			}
		}
		entries, _, err := db.ListTree(ctx, "dev", ferry.TreeQuery{Dir: "c"})
		if err != nil || len(entries) != 2 || entries[1].Size != 1 || entries[1].Blob == "" || entries[1].Mode != ferry.ModeFile {
			t.Fatalf("entries = %+v, %v", entries, err)
		}

		_, _, err = db.ListTree(ctx, "dev", ferry.TreeQuery{Dir: "nope"})
		wantCode(t, err, ferry.ENOTFOUND)
		_, _, err = db.ListTree(ctx, "dev", ferry.TreeQuery{Dir: "a.yaml"})
		wantCode(t, err, ferry.EINVALID)
		_, _, err = db.ListTree(ctx, "dev", ferry.TreeQuery{Revision: 3})
		wantCode(t, err, ferry.ENOTFOUND)
		_, _, err = db.ListTree(ctx, "nope", ferry.TreeQuery{})
		wantCode(t, err, ferry.ENOTFOUND)
		_, _, err = db.ListTree(ctx, "dev", ferry.TreeQuery{Page: ferry.Page{Cursor: "%%%"}})
		wantCode(t, err, ferry.EINVALID)

		// Directories larger than one query's batch, files and subdirectories interleaved.
		mustCreateNamespace(t, db, "many")
		files := map[string]string{}
		var flat, nested []string
		for i := 0; i < 70; i++ {
			p := fmt.Sprintf("m/f%03d", i)
			files[p] = "x"
			flat, nested = append(flat, p), append(nested, p)
			if i%10 == 5 {
				d := fmt.Sprintf("m/f%03d.d", i)
				for j := 0; j < 20; j++ {
					files[fmt.Sprintf("%s/g%02d", d, j)] = "y"
					nested = append(nested, fmt.Sprintf("%s/g%02d", d, j))
				}
				flat = append(flat, d+"/")
			}
		}
		write(t, db, "many", files)
		for _, limit := range []int{0, 7, 1000} {
			if got := listAll(t, db, "many", ferry.TreeQuery{Dir: "m", Page: ferry.Page{Limit: limit}}); got != strings.Join(flat, " ") {
				t.Errorf("limit %d: got %q, want %q", limit, got, strings.Join(flat, " "))
			}
			if got := listAll(t, db, "many", ferry.TreeQuery{Dir: "m", Recursive: true, Page: ferry.Page{Limit: limit}}); got != strings.Join(nested, " ") {
				t.Errorf("recursive, limit %d: got %q, want %q", limit, got, strings.Join(nested, " "))
			}
		}

		mustCreateNamespace(t, db, "empty")
		if got := listAll(t, db, "empty", ferry.TreeQuery{}); got != "" {
			t.Fatalf("empty namespace lists %q", got)
		}
	})
}

func TestRevisions(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateNamespace(t, db, "dev")
		write(t, db, "dev", map[string]string{"a": "1", "b": "1", "c": "1"})
		write(t, db, "dev", map[string]string{"a": "2", "b": "", "d": "1"})
		write(t, db, "dev", map[string]string{"c": "2"})

		var got []int64
		page := ferry.Page{Limit: 2}
		for {
			revs, next, err := db.ListRevisions(ctx, "dev", page)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range revs {
				got = append(got, r.Number)
			}
			if next == "" {
				break
			}
			page.Cursor = next
		}
		if fmt.Sprint(got) != "[3 2 1]" {
			t.Fatalf("revisions = %v", got)
		}

		for _, limit := range []int{0, 1, 2} {
			var changes []string
			page := ferry.Page{Limit: limit}
			for {
				items, next, err := db.ListRevisionChanges(ctx, "dev", 2, page)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range items {
					changes = append(changes, c.Action+":"+c.Path)
				}
				if next == "" {
					break
				}
				page.Cursor = next
			}
			if want := "modified:a deleted:b added:d"; strings.Join(changes, " ") != want {
				t.Fatalf("limit %d: changes of 2 = %q, want %q", limit, strings.Join(changes, " "), want)
			}
		}

		r, err := db.FindRevision(ctx, "dev", 2)
		if err != nil || r.Number != 2 || r.Added != 1 || r.Modified != 1 || r.Deleted != 1 || r.Namespace != "dev" {
			t.Fatalf("revision 2 = %+v, %v", r, err)
		}
		for _, bad := range []int64{0, 4, -1} {
			_, err = db.FindRevision(ctx, "dev", bad)
			wantCode(t, err, ferry.ENOTFOUND)
			_, _, err = db.ListRevisionChanges(ctx, "dev", bad, ferry.Page{})
			wantCode(t, err, ferry.ENOTFOUND)
		}
		_, _, err = db.ListRevisions(ctx, "nope", ferry.Page{})
		wantCode(t, err, ferry.ENOTFOUND)
	})
}

func TestRestoreRevision(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateNamespace(t, db, "dev")
		write(t, db, "dev", map[string]string{"a": "1", "b": "1", "dir/c": "1"})
		write(t, db, "dev", map[string]string{"a": "2", "b": "", "dir/c": "", "dir": "now a file"})
		write(t, db, "dev", map[string]string{"a": "1", "e": "new"}) // a is back to its first content

		r, created, err := db.RestoreRevision(ctx, "dev", 1, "tester", "")
		if err != nil || !created {
			t.Fatalf("restore = %+v, %v, %v", r, created, err)
		}
		if r.Number != 4 || r.Source != ferry.SourceRestore || r.Message != "Restore revision 1." || r.Added != 2 || r.Deleted != 2 || r.Modified != 0 {
			t.Fatalf("restore revision = %+v", r)
		}
		if got, want := listAll(t, db, "dev", ferry.TreeQuery{Recursive: true}), "a b dir/c"; got != want {
			t.Fatalf("tree after restore = %q, want %q", got, want)
		}
		if got := readString(t, db, "dev", "dir/c", 0); got != "1" {
			t.Fatalf("dir/c = %q", got)
		}
		// Restoring what the head already holds makes no revision.
		r, created, err = db.RestoreRevision(ctx, "dev", 4, "tester", "")
		if err != nil || created || r.Number != 4 {
			t.Fatalf("no-op restore = %+v, %v, %v", r, created, err)
		}
		r, created, err = db.RestoreRevision(ctx, "dev", 1, "tester", "again")
		if err != nil || created || r.Number != 4 {
			t.Fatalf("restore of an equal revision = %+v, %v, %v", r, created, err)
		}
		_, _, err = db.RestoreRevision(ctx, "dev", 9, "tester", "")
		wantCode(t, err, ferry.ENOTFOUND)
		_, _, err = db.RestoreRevision(ctx, "nope", 1, "tester", "")
		wantCode(t, err, ferry.ENOTFOUND)
	})
}
