package http_test

// BenchmarkWebhookDeliveries measures verified webhook deliveries per second: identify the
// provider, check the signature, parse, decide and record, on the real server handler and
// a real SQLite database, with GitHub's real push payload (7 KB). No pull is queued:
// "ignored" pushes to a branch the binding does not follow, each with a new delivery ID;
// "duplicate" replays one delivery; "rejected" carries a wrong signature. "loopback" is
// "ignored" through a real HTTP connection instead of an in-process handler call.
//
//	go test -run '^$' -bench WebhookDeliveries -cpu 1 ./http        (one core: GOMAXPROCS=1)

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/secretbox"
	"github.com/ferrygit/ferry/sqlstore"
	"github.com/ferrygit/ferry/webhook/webhooktest"
)

func BenchmarkWebhookDeliveries(b *testing.B) {
	ctx := context.Background()
	box, err := secretbox.New(bytes.Repeat([]byte{0x5e}, secretbox.KeySize))
	if err != nil {
		b.Fatal(err)
	}
	db, err := sqlstore.Open(ctx, sqlstore.Config{DataDir: b.TempDir(), Sealer: box})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	s := fhttp.NewServer()
	s.Namespaces, s.Files, s.Bindings, s.Runs, s.Sync, s.Webhooks = db, db, db, db, &fakeSync{DB: db}, db
	s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil)) // logging stays on: its cost counts
	if err := db.CreateNamespace(ctx, &ferry.Namespace{Name: "dev"}); err != nil {
		b.Fatal(err)
	}
	bind := &ferry.Binding{Namespace: "dev", Name: "app", Directory: "app", URL: "https://git.example.com/app.git", Ref: "main", Direction: ferry.DirectionPull}
	if err := db.CreateBinding(ctx, bind); err != nil {
		b.Fatal(err)
	}
	secret := ferry.NewWebhookSecret()
	if err := db.PutWebhook(ctx, &ferry.Webhook{BindingID: bind.ID, Mode: ferry.WebhookManual}, secret); err != nil {
		b.Fatal(err)
	}
	path := "/hooks/" + strconv.FormatInt(bind.ID, 10)
	h := s.Handler()
	push := webhooktest.Load(b, "github/webhook-push-branch-update.json", secret) // refs/heads/master: ignored
	wrong := webhooktest.Load(b, "github/webhook-push-branch-update.json", "wrong")

	inProcess := func(b *testing.B, d *webhooktest.Delivery, fresh bool, want int) {
		b.SetBytes(int64(len(d.Body)))
		for i := 0; i < b.N; i++ {
			req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(d.Body))
			req.Header = d.Header.Clone()
			if fresh {
				req.Header.Set("X-GitHub-Delivery", b.Name()+strconv.Itoa(i))
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != want {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
	}
	b.Run("ignored", func(b *testing.B) { inProcess(b, push, true, http.StatusOK) })
	b.Run("duplicate", func(b *testing.B) { inProcess(b, push, false, http.StatusOK) })
	b.Run("rejected", func(b *testing.B) { inProcess(b, wrong, true, http.StatusUnauthorized) })
	b.Run("loopback", func(b *testing.B) {
		srv := httptest.NewServer(h)
		defer srv.Close()
		client := srv.Client()
		b.SetBytes(int64(len(push.Body)))
		for i := 0; i < b.N; i++ {
			req := push.Request(b, srv.URL+path)
			req.Header.Set("X-GitHub-Delivery", "loopback"+strconv.Itoa(i))
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
	})
}
