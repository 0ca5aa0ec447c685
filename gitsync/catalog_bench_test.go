package gitsync_test

// BenchmarkPullOneOfManyEntities (issue 8): a repository of entity files (10,000 in 100
// directories, and 1,000 to compare; one git fast-import each) served by git http-backend on
// loopback, and two bindings of it on one back end (SQLite, the git engine, River, the real
// catalog): "entities" reads the files its glob **/*.entity.json selects into the catalog,
// "plain" has no glob (the reference). Each iteration commits a change to one entity file
// and pulls both bindings, alternating which goes first.
//
//	go test -run '^$' -bench PullOneOfManyEntities -benchtime 5x ./gitsync
//
// Reported: the medians of the pull (trigger to run finished) and of the rows written per
// pull for each binding, the catalog step's own time, and, once, the first pull of each
// binding (the entities binding imports every entity). Both bindings store the same blobs,
// so the one that pulls first writes the changed file's blob: one row more.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/catalog"
	"github.com/ferrygit/ferry/git/gittest"
)

// benchEntityPath is the path of entity file i in the repository.
func benchEntityPath(i int) string {
	return fmt.Sprintf("services/d%02d/svc-%05d.entity.json", i%100, i)
}

// benchEntityFile is the content of entity file i at version v.
func benchEntityFile(i, v int) string {
	return fmt.Sprintf(`{"blueprint": "microservice", "identifier": "svc-%05d", "title": "Service %d",
  "properties": {"url": "https://svc-%05d.example.com", "port": %d}, "relations": {"team": "core"}}
`, i, i, i, 1000+v)
}

func BenchmarkPullOneOfManyEntities(b *testing.B) {
	for _, files := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("files-%d", files), func(b *testing.B) { benchPullOneOfManyEntities(b, files) })
	}
}

func benchPullOneOfManyEntities(b *testing.B, files int) {
	ctx := context.Background()
	var s bytes.Buffer
	fmt.Fprintf(&s, "commit refs/heads/main\ncommitter Bench <b@example.com> 1700000000 +0000\ndata 7\ninitial\n")
	for i := 0; i < files; i++ {
		c := benchEntityFile(i, 0)
		fmt.Fprintf(&s, "M 100644 inline %s\ndata %d\n%s\n", benchEntityPath(i), len(c), c)
	}
	core := `{"blueprint": "team", "identifier": "core"}`
	fmt.Fprintf(&s, "M 100644 inline teams/core.entity.json\ndata %d\n%s\n\n", len(core), core)
	repo := gittest.NewRepoIn(b, b.TempDir(), "entities.git", nil)
	repo.FastImport(&s)
	web := gittest.NewHTTPServer(b, repo.Root, gittest.HTTPOptions{})
	url := web.RepoURL(repo.Name)

	be := newBenchBackend(b, b.TempDir(), benchOpts{river: true})
	cat := &catalog.Service{Store: be.db, Logger: benchQuiet}
	be.svc.Catalog = cat // before any run is queued
	for _, bp := range []*ferry.Blueprint{
		{Namespace: "dev", Identifier: "team"},
		{Namespace: "dev", Identifier: "microservice", Schema: json.RawMessage(microserviceSchema),
			Relations: map[string]ferry.Relation{"team": {Target: "team"}}},
	} {
		if err := cat.CreateBlueprint(ctx, bp); err != nil {
			b.Fatal(err)
		}
	}
	first := map[string]time.Duration{}
	for _, name := range []string{"entities", "plain"} {
		bind := &ferry.Binding{Namespace: "dev", Name: name, Directory: name, URL: url, Ref: "main"}
		if name == "entities" {
			bind.Entities = &ferry.EntitySpec{Glob: "**/*.entity.json"}
		}
		start := time.Now()
		run, err := be.svc.CreateBinding(ctx, bind, "bench")
		if err != nil {
			b.Fatal(err)
		}
		run = be.finish(b, run)
		first[name] = time.Since(start)
		benchWant(b, run, ferry.ResultApplied, files+1, 0)
		if name == "entities" {
			if msg := benchCatalogStep(b, run); !strings.HasPrefix(msg, fmt.Sprintf("%d entity files: %d entities read, 0 deleted, 0 failed", files+1, files+1)) {
				b.Fatalf("first import: catalog step %q", msg)
			}
		}
	}

	samples := benchSamples{}
	rows := map[string][]float64{}
	pull := func(name string, i, version int) {
		before := be.db.RowsWritten()
		var run *ferry.Run
		samples.time(name, func() { run = be.pull(b, name) })
		rows[name] = append(rows[name], float64(be.db.RowsWritten()-before))
		benchWant(b, run, ferry.ResultApplied, 0, 1)
		if name != "entities" {
			return
		}
		if msg := benchCatalogStep(b, run); msg != "1 entity file: 1 entity read, 0 deleted, 0 failed" {
			b.Fatalf("catalog step %q", msg)
		}
		samples.steps(run)
		id := fmt.Sprintf("svc-%05d", i)
		if e, err := be.db.FindEntity(ctx, "dev", "microservice", id); err != nil || e.Properties["port"] != float64(1000+version) {
			b.Fatalf("%s after the pull = %+v, %v", id, e, err)
		}
	}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		i := (n*7919 + 13) % files
		version := n + 1
		repo.Commit("one entity", map[string]string{benchEntityPath(i): benchEntityFile(i, version)})
		if n%2 == 0 {
			pull("entities", i, version)
			pull("plain", i, version)
		} else {
			pull("plain", i, version)
			pull("entities", i, version)
		}
	}
	b.StopTimer()
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(samples.ms("entities"), "entities-ms")
	b.ReportMetric(samples.ms("plain"), "plain-ms")
	b.ReportMetric(samples.ms("catalog"), "catalog-step-ms")
	b.ReportMetric(benchMedian(rows["entities"]), "entities-rows")
	b.ReportMetric(benchMedian(rows["plain"]), "plain-rows")
	b.ReportMetric(float64(first["entities"].Milliseconds()), "entities-first-ms")
	b.ReportMetric(float64(first["plain"].Milliseconds()), "plain-first-ms")
}

// benchCatalogStep returns the message of the run's catalog step, failing unless it is ok.
func benchCatalogStep(tb testing.TB, run *ferry.Run) string {
	tb.Helper()
	for _, st := range run.Steps {
		if st.Name == "catalog" && st.Result == "ok" {
			return st.Message
		}
	}
	tb.Fatalf("run %d has no catalog step that went well: %+v", run.ID, run.Steps)
	return ""
}
