package http_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
)

func TestClientEscapesPaths(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.mustNamespace(t, "dev")
	for _, p := range []string{"a b/c.yaml", "q?x=1", "hash#frag", "pct%2e%2e", "ünï/cödé", "plus+semi;colon:"} {
		t.Run(p, func(t *testing.T) {
			ts.mustPut(t, "dev", p, p)
			ts.wantContent(t, "dev", p, p)
		})
	}
	items, _, err := ts.Client.ListTree(ctx, "dev", ferry.TreeQuery{Dir: "a b"})
	if err != nil || len(items) != 1 || items[0].Path != "a b/c.yaml" {
		t.Fatalf("tree of %q = %v, %v", "a b", items, err)
	}
}

func TestClientTransportErrorHidesToken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	_, err = fhttp.NewClient(url, testToken).FindNamespace(context.Background(), "dev")
	if err == nil {
		t.Fatal("no error from a server that is not there")
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error contains the token: %v", err)
	}
	if !strings.Contains(err.Error(), "cannot reach") {
		t.Errorf("error = %v, want it to say the server cannot be reached", err)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("error %v does not wrap the network error", err)
	}
}

func TestClientNonJSONError(t *testing.T) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	defer proxy.Close()
	_, err := fhttp.NewClient(proxy.URL, testToken).FindNamespace(context.Background(), "dev")
	wantCode(t, err, ferry.EINTERNAL)
	if !strings.Contains(ferry.ErrorMessage(err), "502") {
		t.Errorf("message %q lacks the status", ferry.ErrorMessage(err))
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	var leaked bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = r.Header.Get("Authorization") != ""
	}))
	defer target.Close()
	redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusFound))
	defer redirect.Close()
	_, err := fhttp.NewClient(redirect.URL, testToken).FindNamespace(context.Background(), "dev")
	if leaked {
		t.Error("the client followed the redirect with the token")
	}
	wantCode(t, err, ferry.EINTERNAL)
	if !strings.Contains(ferry.ErrorMessage(err), "302") {
		t.Errorf("message %q lacks the status", ferry.ErrorMessage(err))
	}
}
