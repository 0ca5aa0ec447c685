package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sqlstore"
)

// fixedNow is the clock of every contract test.
var fixedNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// forEachDB runs test against a fresh SQLite database and, when FERRY_TEST_POSTGRES_URL is
// set, against a fresh PostgreSQL schema: the one contract both dialects keep.
func forEachDB(t *testing.T, test func(t *testing.T, db *sqlstore.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		test(t, openSQLite(t, t.TempDir()))
	})
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv("FERRY_TEST_POSTGRES_URL")
		if base == "" {
			t.Skip("FERRY_TEST_POSTGRES_URL is not set")
		}
		test(t, openPostgres(t, base))
	})
}

func openSQLite(t *testing.T, dir string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{DataDir: dir, Now: func() time.Time { return fixedNow }, Sealer: testBox})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openPostgres opens a database in a schema of its own, dropped when the test ends.
func openPostgres(t *testing.T, base string) *sqlstore.DB {
	t.Helper()
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "ferry_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err == nil {
			admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
			admin.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := sqlstore.Open(ctx, sqlstore.Config{DatabaseURL: u.String(), Now: func() time.Time { return fixedNow }, Sealer: testBox})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustCreateNamespace(t *testing.T, db *sqlstore.DB, name string) {
	t.Helper()
	if err := db.CreateNamespace(context.Background(), &ferry.Namespace{Name: name}); err != nil {
		t.Fatal(err)
	}
}

// write applies a change of the given files (path → content; "" deletes) and returns the
// revision.
func write(t *testing.T, db *sqlstore.DB, ns string, files map[string]string) *ferry.Revision {
	t.Helper()
	cs := &ferry.ChangeSet{Namespace: ns, Actor: "tester", Message: "change"}
	for p, c := range files {
		cs.Changes = append(cs.Changes, ferry.FileChange{Path: p, Content: []byte(c), Delete: c == ""})
	}
	rev, _, err := db.ApplyChanges(context.Background(), cs)
	if err != nil {
		t.Fatalf("apply %v: %v", files, err)
	}
	return rev
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := ferry.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func readString(t *testing.T, db *sqlstore.DB, ns, path string, rev int64) string {
	t.Helper()
	f, err := db.ReadFile(context.Background(), ns, path, rev)
	if err != nil {
		t.Fatalf("read %s@%d: %v", path, rev, err)
	}
	return string(f.Content)
}

func TestNamespaces(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		ns := &ferry.Namespace{Name: "dev"}
		if err := db.CreateNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
		if ns.ID == 0 || !ns.CreatedAt.Equal(fixedNow) || ns.Head != 0 {
			t.Fatalf("created %+v", ns)
		}
		wantCode(t, db.CreateNamespace(ctx, &ferry.Namespace{Name: "dev"}), ferry.ECONFLICT)
		for _, bad := range []string{"", "Dev", "a_b", "-a", "a-", string(make([]byte, 64))} {
			wantCode(t, db.CreateNamespace(ctx, &ferry.Namespace{Name: bad}), ferry.EINVALID)
		}
		got, err := db.FindNamespace(ctx, "dev")
		if err != nil || got.Name != "dev" || got.ID != ns.ID || !got.CreatedAt.Equal(fixedNow) {
			t.Fatalf("find = %+v, %v", got, err)
		}
		_, err = db.FindNamespace(ctx, "nope")
		wantCode(t, err, ferry.ENOTFOUND)

		for _, n := range []string{"e", "b", "d", "c"} {
			mustCreateNamespace(t, db, n)
		}
		var names []string
		page := ferry.Page{Limit: 2}
		for i := 0; ; i++ {
			items, next, err := db.ListNamespaces(ctx, page)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range items {
				names = append(names, it.Name)
			}
			if next == "" {
				break
			}
			if i > 5 {
				t.Fatal("pagination does not end")
			}
			page.Cursor = next
		}
		if want := "b c d dev e"; join(names) != want {
			t.Fatalf("listed %q, want %q", join(names), want)
		}
		_, _, err = db.ListNamespaces(ctx, ferry.Page{Cursor: "!!not base64"})
		wantCode(t, err, ferry.EINVALID)

		if err := db.DeleteNamespace(ctx, "dev"); err != nil {
			t.Fatal(err)
		}
		_, err = db.FindNamespace(ctx, "dev")
		wantCode(t, err, ferry.ENOTFOUND)
		wantCode(t, db.DeleteNamespace(ctx, "dev"), ferry.ENOTFOUND)
	})
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

func TestSettings(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		_, err := db.Setting(ctx, "k")
		wantCode(t, err, ferry.ENOTFOUND)
		if set, err := db.InitSetting(ctx, "k", "one"); err != nil || !set {
			t.Fatalf("first init = %v, %v", set, err)
		}
		if set, err := db.InitSetting(ctx, "k", "two"); err != nil || set {
			t.Fatalf("second init = %v, %v", set, err)
		}
		if v, err := db.Setting(ctx, "k"); err != nil || v != "one" {
			t.Fatalf("setting = %q, %v", v, err)
		}
	})
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	db := openSQLite(t, dir)
	mustCreateNamespace(t, db, "dev")
	write(t, db, "dev", map[string]string{"a.yaml": "a: 1\n"})
	db.Close()
	db = openSQLite(t, dir)
	if got := readString(t, db, "dev", "a.yaml", 0); got != "a: 1\n" {
		t.Fatalf("after reopen: %q", got)
	}
}
