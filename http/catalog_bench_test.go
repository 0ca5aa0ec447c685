package http_test

// BenchmarkEntityUpsertAPI measures entities written per second through the real HTTP API:
// the server (authentication, the audit log, JSON), the catalog service (JSON Schema
// validation, who owns an entity, dangling relations) and the database, over a real
// connection on loopback. Each entity is a "microservice" with a url (format uri), a port
// and a tier, and a relation to the team "core".
//
//   - bulk: 10,000 entities an iteration, in POST …/entities/bulk?upsert=true of 500
//   - single: 1,000 entities an iteration, one POST …/entities?upsert=true each
//   - single-4-clients: the same from four connections at once
//
// "create" writes new entities (a fresh namespace each iteration), "update" changes the port
// of existing ones, "unchanged" sends the same data again (nothing is written). SQLite
// always; PostgreSQL too when FERRY_TEST_POSTGRES_URL names a database.
//
//	go test -run '^$' -bench EntityUpsertAPI -benchtime 1x ./http

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/catalog"
	fhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/secretbox"
	"github.com/ferrygit/ferry/sqlstore"
)

const (
	benchBulkEntities   = 10000
	benchBulkBatch      = 500
	benchSingleEntities = 1000
)

// benchCatalogServer is a real server over db with the catalog, and a keep-alive client.
type benchCatalogServer struct {
	db     *sqlstore.DB
	cat    *catalog.Service
	url    string
	client *http.Client
	made   int // namespaces made so far, which keeps their names fresh
}

func newBenchCatalogServer(b *testing.B, cfg sqlstore.Config) *benchCatalogServer {
	b.Helper()
	box, err := secretbox.New(bytes.Repeat([]byte{0x5e}, secretbox.KeySize))
	if err != nil {
		b.Fatal(err)
	}
	cfg.Sealer = box
	db, err := sqlstore.Open(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	cat := &catalog.Service{Store: db}
	s := fhttp.NewServer()
	s.Namespaces, s.Files, s.Ready = db, db, db.Ping
	s.Tokens, s.Users, s.Audit = db, db, db
	s.Catalog, s.CatalogStore = cat, db
	s.AdminTokenHash = sha256.Sum256([]byte(testToken))
	s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil)) // logging stays on: its cost counts
	if err := s.Open("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Close(ctx)
	})
	return &benchCatalogServer{db: db, cat: cat, url: s.URL(), client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}}
}

// namespace creates namespace ns with the blueprints "team" (and its entity "core") and
// "microservice".
func (s *benchCatalogServer) namespace(b *testing.B, ns string) {
	b.Helper()
	ctx := context.Background()
	if err := s.db.CreateNamespace(ctx, &ferry.Namespace{Name: ns}); err != nil {
		b.Fatal(err)
	}
	for _, bp := range []*ferry.Blueprint{
		{Namespace: ns, Identifier: "team"},
		{Namespace: ns, Identifier: "microservice", Schema: json.RawMessage(`{"type": "object", "properties": {
			"url": {"type": "string", "format": "uri"}, "port": {"type": "integer", "minimum": 1, "maximum": 65535},
			"tier": {"enum": ["gold", "silver", "bronze"]}}, "required": ["url"]}`),
			Relations: map[string]ferry.Relation{"team": {Target: "team"}}},
	} {
		if err := s.cat.CreateBlueprint(ctx, bp); err != nil {
			b.Fatal(err)
		}
	}
	err := s.cat.PutEntities(ctx, ns, []*ferry.Entity{{Blueprint: "team", Identifier: "core"}}, catalog.PutOptions{Source: ferry.Provenance{Source: ferry.SourceAPI}})
	if err != nil {
		b.Fatal(err)
	}
}

// post sends body to path; an answer other than 200 is an error.
func (s *benchCatalogServer) post(path string, body []byte) error {
	req, err := http.NewRequest(http.MethodPost, s.url+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, answer)
	}
	return nil
}

// postAll sends the bodies to path from clients connections at once.
func (s *benchCatalogServer) postAll(b *testing.B, path string, bodies [][]byte, clients int) {
	next := make(chan []byte)
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for body := range next {
				if err := s.post(path, body); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for _, body := range bodies {
		select {
		case next <- body:
		case err := <-errs:
			close(next)
			wg.Wait()
			b.Fatal(err)
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}

// benchEntity is entity i, at version v (its port).
func benchEntity(i, v int) fhttp.EntityRequest {
	id := fmt.Sprintf("svc-%05d", i)
	return fhttp.EntityRequest{Identifier: id, Title: "Service " + id,
		Properties: map[string]any{"url": "https://" + id + ".example.com/api", "port": 1000 + v, "tier": "gold"},
		Relations:  map[string]json.RawMessage{"team": json.RawMessage(`"core"`)}}
}

// bodies returns the request bodies that write entities 0…n-1 at version v: batches of
// batch in a bulk request, or one entity a request when batch is 0.
func benchBodies(b *testing.B, n, batch, v int) [][]byte {
	var out [][]byte
	for start := 0; start < n; start += max(batch, 1) {
		var body any
		if batch == 0 {
			body = benchEntity(start, v)
		} else {
			req := fhttp.BulkRequest{}
			for i := start; i < min(start+batch, n); i++ {
				req.Entities = append(req.Entities, benchEntity(i, v))
			}
			body = req
		}
		raw, err := json.Marshal(body)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, raw)
	}
	return out
}

// benchDatabases returns the databases to measure: SQLite, and PostgreSQL when
// FERRY_TEST_POSTGRES_URL is set (in a fresh schema, dropped at the end).
func benchDatabases(b *testing.B) map[string]func(b *testing.B) sqlstore.Config {
	dbs := map[string]func(b *testing.B) sqlstore.Config{
		"sqlite": func(b *testing.B) sqlstore.Config { return sqlstore.Config{DataDir: b.TempDir()} },
	}
	if base := os.Getenv("FERRY_TEST_POSTGRES_URL"); base != "" {
		dbs["postgres"] = func(b *testing.B) sqlstore.Config {
			admin, err := sql.Open("pgx", base)
			if err != nil {
				b.Fatal(err)
			}
			raw := make([]byte, 6)
			rand.Read(raw)
			schema := "ferry_bench_" + hex.EncodeToString(raw)
			if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() {
				admin.Exec("DROP SCHEMA " + schema + " CASCADE")
				admin.Close()
			})
			u, _ := url.Parse(base)
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return sqlstore.Config{DatabaseURL: u.String()}
		}
	}
	return dbs
}

func BenchmarkEntityUpsertAPI(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		config, ok := benchDatabases(b)[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			s := newBenchCatalogServer(b, config(b))
			for _, mode := range []struct {
				name    string
				n       int
				batch   int
				clients int
			}{
				{"bulk", benchBulkEntities, benchBulkBatch, 1},
				{"single", benchSingleEntities, 0, 1},
				{"single-4-clients", benchSingleEntities, 0, 4},
			} {
				path := func(ns string) string {
					if mode.batch == 0 {
						return "/api/v1/namespaces/" + ns + "/blueprints/microservice/entities?upsert=true"
					}
					return "/api/v1/namespaces/" + ns + "/blueprints/microservice/entities/bulk?upsert=true"
				}
				// write sends the bodies and checks the rows written: two an entity (the entity
				// and its history) when changed, else none but the audit log's one a request.
				write := func(b *testing.B, ns string, bodies [][]byte, changed bool) (time.Duration, int64) {
					b.StartTimer()
					start, rows := time.Now(), s.db.RowsWritten()
					s.postAll(b, path(ns), bodies, mode.clients)
					elapsed := time.Since(start)
					b.StopTimer()
					written := s.db.RowsWritten() - rows
					if changed && written < int64(2*mode.n) || !changed && written > int64(len(bodies)) {
						b.Fatalf("%d rows written for %d entities in %d requests", written, mode.n, len(bodies))
					}
					return elapsed, written
				}
				// measure runs write b.N times and reports entities per second and rows an entity.
				measure := func(b *testing.B, setup func(i int) (string, [][]byte, bool)) {
					var elapsed time.Duration
					var rows int64
					for i := 0; i < b.N; i++ {
						b.StopTimer()
						ns, bodies, changed := setup(i)
						d, n := write(b, ns, bodies, changed)
						elapsed, rows = elapsed+d, rows+n
					}
					b.ReportMetric(float64(mode.n*b.N)/elapsed.Seconds(), "entities/s")
					b.ReportMetric(float64(rows)/float64(mode.n*b.N), "rows/entity")
				}
				b.Run(mode.name+"/create", func(b *testing.B) {
					var ns string
					measure(b, func(int) (string, [][]byte, bool) {
						ns = fmt.Sprintf("%s-create-%d", mode.name, s.made)
						s.made++
						s.namespace(b, ns)
						return ns, benchBodies(b, mode.n, mode.batch, 0), true
					})
					if e, err := s.db.FindEntity(context.Background(), ns, "microservice", fmt.Sprintf("svc-%05d", mode.n-1)); err != nil || e.Source.Source != ferry.SourceAPI {
						b.Fatalf("the last entity = %+v, %v", e, err)
					}
				})
				ns := fmt.Sprintf("%s-upsert-%d", mode.name, s.made)
				s.made++
				s.namespace(b, ns)
				s.postAll(b, path(ns), benchBodies(b, mode.n, mode.batch, 0), mode.clients)
				version := 0
				b.Run(mode.name+"/update", func(b *testing.B) {
					measure(b, func(int) (string, [][]byte, bool) {
						version++
						return ns, benchBodies(b, mode.n, mode.batch, version), true
					})
				})
				b.Run(mode.name+"/unchanged", func(b *testing.B) {
					measure(b, func(int) (string, [][]byte, bool) {
						return ns, benchBodies(b, mode.n, mode.batch, version), false
					})
				})
			}
		})
	}
}
