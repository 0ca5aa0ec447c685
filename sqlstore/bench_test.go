package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sqlstore"
)

// benchDBs opens the databases a benchmark runs against: SQLite always, PostgreSQL when
// FERRY_TEST_POSTGRES_URL is set.
func benchDBs(b *testing.B, run func(b *testing.B, db *sqlstore.DB)) {
	b.Run("sqlite", func(b *testing.B) { run(b, openSQLite(&testing.T{}, b.TempDir())) })
	if url := os.Getenv("FERRY_TEST_POSTGRES_URL"); url != "" {
		b.Run("postgres", func(b *testing.B) {
			t := &testing.T{}
			run(b, openPostgres(t, url))
		})
	}
}

// bigChange is a change of n files of about 200 bytes spread over 100 directories.
func bigChange(ns string, n int) *ferry.ChangeSet {
	cs := &ferry.ChangeSet{Namespace: ns, Actor: "bench", Message: "import"}
	for i := 0; i < n; i++ {
		cs.Changes = append(cs.Changes, ferry.FileChange{
			Path:    fmt.Sprintf("services/svc%03d/route%05d.yaml", i%100, i),
			Content: []byte(fmt.Sprintf("# %s\nname: route-%d\nupstream: http://svc-%d.internal:8080\npaths:\n  - /api/v1/r%d\nmethods: [GET, POST]\nretries: 3\ntimeout: 30s\n", ns, i, i%100, i)),
		})
	}
	return cs
}

// BenchmarkWrite30000Files writes a 30,000-file namespace as one revision.
func BenchmarkWrite30000Files(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *sqlstore.DB) {
		ctx := context.Background()
		var rows int64
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			ns := fmt.Sprintf("big%d", i)
			if err := db.CreateNamespace(ctx, &ferry.Namespace{Name: ns}); err != nil {
				b.Fatal(err)
			}
			cs := bigChange(ns, 30000)
			before := db.RowsWritten()
			b.StartTimer()
			if _, _, err := db.ApplyChanges(ctx, cs); err != nil {
				b.Fatal(err)
			}
			rows += db.RowsWritten() - before
		}
		b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
	})
}

// BenchmarkOneFileChangeIn30000 changes one file of a 30,000-file namespace.
func BenchmarkOneFileChangeIn30000(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *sqlstore.DB) {
		ctx := context.Background()
		if err := db.CreateNamespace(ctx, &ferry.Namespace{Name: "big"}); err != nil {
			b.Fatal(err)
		}
		if _, _, err := db.ApplyChanges(ctx, bigChange("big", 30000)); err != nil {
			b.Fatal(err)
		}
		before := db.RowsWritten()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			_, _, err := db.ApplyChanges(ctx, &ferry.ChangeSet{Namespace: "big", Actor: "bench", Changes: []ferry.FileChange{
				{Path: "services/svc042/route00042.yaml", Content: []byte(fmt.Sprintf("retries: %d\n", i))},
			}})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(db.RowsWritten()-before)/float64(b.N), "rows/op")
	})
}

// BenchmarkListTreeRootOf30000 lists the root of a 30,000-file namespace (one directory) and
// one directory of 300 files.
func BenchmarkListTreeOf30000(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *sqlstore.DB) {
		ctx := context.Background()
		if err := db.CreateNamespace(ctx, &ferry.Namespace{Name: "big"}); err != nil {
			b.Fatal(err)
		}
		if _, _, err := db.ApplyChanges(ctx, bigChange("big", 30000)); err != nil {
			b.Fatal(err)
		}
		for _, dir := range []string{"services", "services/svc042"} {
			b.Run(dir, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, _, err := db.ListTree(ctx, "big", ferry.TreeQuery{Dir: dir, Page: ferry.Page{Limit: 1000}}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
}
