package main

// BenchmarkWebhookToRevision measures issue 6's latency target: from a signed GitHub push
// webhook, POSTed to a real 'ferry serve' (SQLite, River, the git engine) over loopback, to
// the pushed content being readable from the API, on a 500-file repository served by git
// http-backend, with a one-file commit each iteration.
//
//	go test -run '^$' -bench WebhookToRevision -benchtime 50x ./cmd/ferry
//
// It reports the percentiles of that latency (visible-p50-ms, visible-p99-ms) and of the
// webhook's answer alone (answer-p50-ms, answer-p99-ms), and the medians of the pull's wait
// in the queue (queued-p50-ms) and of its run (run-p50-ms). ns/op is the mean latency.

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/git/gittest"
	ferryhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/webhook/webhooktest"
)

// serveForBench runs the real 'ferry serve' until the benchmark ends and returns its URL.
func serveForBench(b *testing.B, env map[string]string) string {
	b.Helper()
	getenv := func(k string) string { return env[k] }
	cfg, err := loadConfig([]string{"--listen", "127.0.0.1:0", "--data-dir", b.TempDir()}, getenv, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Main{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: getenv}
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- m.serve(ctx, cfg, ready) }()
	b.Cleanup(func() { cancel(); <-done })
	select {
	case url := <-ready:
		return url
	case err := <-done:
		b.Fatalf("ferry serve ended: %v", err)
	case <-time.After(30 * time.Second):
		b.Fatal("ferry serve did not start")
	}
	return ""
}

func percentile(d []time.Duration, p float64) float64 {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s))*p+0.5) - 1
	return float64(s[min(max(i, 0), len(s)-1)]) / float64(time.Millisecond)
}

func BenchmarkWebhookToRevision(b *testing.B) {
	const token = "webhook-bench-admin-token-0123"
	url := serveForBench(b, map[string]string{"FERRY_ADMIN_TOKEN": token, "FERRY_ALLOW_HOSTS": "127.0.0.1", "FERRY_ALLOW_INSECURE_HTTP": "true"})
	c := ferryhttp.NewClient(url, token)
	ctx := context.Background()

	files := map[string]string{}
	for i := 0; i < 500; i++ {
		files[fmt.Sprintf("app/d%02d/f%03d.yaml", i%20, i)] = fmt.Sprintf("name: f%03d\nreplicas: 3\nimage: registry.example.com/app:%d\n%s", i, i, strings.Repeat("# padding\n", 10))
	}
	repo := gittest.NewRepo(b, files)
	web := gittest.NewHTTPServer(b, repo.Root, gittest.HTTPOptions{})
	if _, err := c.CreateNamespace(ctx, "dev"); err != nil {
		b.Fatal(err)
	}
	bind, err := c.CreateBinding(ctx, "dev", ferryhttp.BindingRequest{Name: "app", Directory: "/app", URL: web.RepoURL(repo.Name), Ref: "main",
		Path: "/app", Webhook: "manual"})
	if err != nil {
		b.Fatal(err)
	}
	if run := waitRun(b, c, "dev", "app", bind.FirstRun.ID); run.Result != ferry.ResultApplied {
		b.Fatalf("first pull: %+v", run)
	}
	hookURL := fmt.Sprintf("%s/hooks/%d", url, bind.ID)
	secret := bind.Webhook.Secret

	var visible, answer, waited, ran []time.Duration
	round := func(i int) (time.Duration, time.Duration) {
		content := fmt.Sprintf("name: f000\nreplicas: %d\n", i+4)
		commit := repo.Commit(fmt.Sprintf("change %d", i), map[string]string{"app/d00/f000.yaml": content})
		d := webhooktest.Load(b, "github/webhook-push-branch-update.json", secret)
		d.Rewrite(b, secret, map[string]any{"ref": "refs/heads/main", "after": commit})
		b.StartTimer()
		start := time.Now()
		if status, body := deliver(b, d, hookURL); status != 202 {
			b.Fatalf("webhook: %d %s", status, body)
		}
		answered := time.Since(start)
		for {
			f, err := c.GetFile(ctx, "dev", "app/d00/f000.yaml", 0)
			if err != nil {
				b.Fatal(err)
			}
			if string(f.Content) == content {
				break
			}
			if time.Since(start) > 30*time.Second {
				b.Fatalf("iteration %d: the push did not become readable", i)
			}
			time.Sleep(time.Millisecond)
		}
		took := time.Since(start)
		b.StopTimer()
		runs, _, err := c.ListRuns(ctx, "dev", "app", ferry.Page{Limit: 1})
		if err != nil {
			b.Fatal(err)
		}
		run := waitRun(b, c, "dev", "app", runs[0].ID)
		if run.CommitAfter != commit || run.StartedAt == nil {
			b.Fatalf("run = %+v", run)
		}
		waited, ran = append(waited, run.StartedAt.Sub(run.QueuedAt)), append(ran, time.Duration(run.DurationMS)*time.Millisecond)
		return took, answered
	}
	b.StopTimer()
	round(-1) // warm up
	b.ResetTimer()
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		v, a := round(i)
		visible, answer = append(visible, v), append(answer, a)
	}
	b.ReportMetric(percentile(visible, 0.5), "visible-p50-ms")
	b.ReportMetric(percentile(visible, 0.99), "visible-p99-ms")
	b.ReportMetric(percentile(answer, 0.5), "answer-p50-ms")
	b.ReportMetric(percentile(answer, 0.99), "answer-p99-ms")
	b.ReportMetric(percentile(waited, 0.5), "queued-p50-ms")
	b.ReportMetric(percentile(ran, 0.5), "run-p50-ms")
}
