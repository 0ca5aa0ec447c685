package sqlstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sqlstore"
)

// benchEntities returns n entities of blueprint service in ns as a pull at commit reads them.
func benchEntities(ns string, n int, commit string) []*ferry.Entity {
	out := make([]*ferry.Entity, n)
	for i := range out {
		id := fmt.Sprintf("svc-%05d", i)
		out[i] = &ferry.Entity{Namespace: ns, Blueprint: "service", Identifier: id, Title: "Service " + id,
			Properties: map[string]any{"url": "https://" + id + ".internal:8080", "tier": []string{"gold", "silver"}[i%2],
				"replicas": i % 7, "public": i%3 == 0, "owners": []any{"alice", "bob"}, "description": "A service of the benchmark."},
			Relations: map[string]json.RawMessage{"team": json.RawMessage(`"payments"`), "uses": json.RawMessage(`["db","cache"]`)},
			Source: ferry.Provenance{Source: ferry.SourceGit, Binding: "infra", Repository: "https://git.example.com/org/infra.git",
				Path: "catalog/services/" + id + ".yaml", Commit: commit}}
	}
	return out
}

// putInBatches writes entities with upsert in batches of 500, as a pull does.
func putInBatches(b *testing.B, db *sqlstore.DB, entities []*ferry.Entity) {
	for len(entities) > 0 {
		n := min(500, len(entities))
		if err := db.PutEntities(context.Background(), entities[:n], true); err != nil {
			b.Fatal(err)
		}
		entities = entities[n:]
	}
}

// BenchmarkPutEntities writes 10,000 entities in batches of 500: new ones into an empty
// namespace, then the same ones again at a new commit with one of them changed.
func BenchmarkPutEntities(b *testing.B) {
	const n = 10000
	benchDBs(b, func(b *testing.B, db *sqlstore.DB) {
		ctx := context.Background()
		names := 0 // a benchmark function runs more than once; each run takes new namespaces
		newNamespace := func() string {
			names++
			ns := fmt.Sprintf("bench%d", names)
			if err := db.CreateNamespace(ctx, &ferry.Namespace{Name: ns}); err != nil {
				b.Fatal(err)
			}
			if err := db.CreateBlueprint(ctx, &ferry.Blueprint{Namespace: ns, Identifier: "service", Schema: json.RawMessage(`{}`)}); err != nil {
				b.Fatal(err)
			}
			return ns
		}
		b.Run("create", func(b *testing.B) {
			var rows int64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				entities := benchEntities(newNamespace(), n, "c0")
				before := db.RowsWritten()
				b.StartTimer()
				putInBatches(b, db, entities)
				rows += db.RowsWritten() - before
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "entities/s")
			b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
		})
		b.Run("one-changed", func(b *testing.B) {
			ns := newNamespace()
			putInBatches(b, db, benchEntities(ns, n, "c0"))
			var rows int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				entities := benchEntities(ns, n, fmt.Sprintf("c%d", i+1))
				entities[42].Properties["replicas"] = i + 100
				before := db.RowsWritten()
				b.StartTimer()
				putInBatches(b, db, entities)
				rows += db.RowsWritten() - before
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "entities/s")
			b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
		})
	})
}
