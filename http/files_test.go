package http_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
)

func TestPutAndGetFile(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.mustNamespace(t, "dev")

	rev, created, err := ts.Client.PutFile(ctx, "dev", "svc/a b.yaml", []byte("one"), fhttp.PutFileOptions{Message: "first"})
	if err != nil || !created {
		t.Fatalf("put = %+v, %v, %v", rev, created, err)
	}
	if rev.Number != 1 || rev.Namespace != "dev" || rev.Actor != "admin" || rev.Message != "first" || rev.Source != ferry.SourceAPI || rev.Added != 1 {
		t.Errorf("revision = %+v", rev)
	}
	same, created, err := ts.Client.PutFile(ctx, "dev", "svc/a b.yaml", []byte("one"), fhttp.PutFileOptions{})
	if err != nil || created || same.Number != 1 {
		t.Fatalf("unchanged put = %+v, %v, %v; want head 1, not created", same, created, err)
	}
	rev2, created, err := ts.Client.PutFile(ctx, "dev", "svc/a b.yaml", []byte("two"), fhttp.PutFileOptions{Base: 1})
	if err != nil || !created || rev2.Number != 2 || rev2.Modified != 1 {
		t.Fatalf("second put = %+v, %v, %v", rev2, created, err)
	}
	_, _, err = ts.Client.PutFile(ctx, "dev", "svc/a b.yaml", []byte("three"), fhttp.PutFileOptions{Base: 1})
	wantCode(t, err, ferry.ECONFLICT)

	f, err := ts.Client.GetFile(ctx, "dev", "svc/a b.yaml", 0)
	if err != nil {
		t.Fatal(err)
	}
	if string(f.Content) != "two" || f.Revision != 2 || f.Mode != ferry.ModeFile || f.Size != 3 || len(f.Blob) != 64 {
		t.Errorf("head file = %+v", f)
	}
	old, err := ts.Client.GetFile(ctx, "dev", "svc/a b.yaml", 1)
	if err != nil || string(old.Content) != "one" || old.Revision != 1 {
		t.Fatalf("file at revision 1 = %+v, %v", old, err)
	}
	_, err = ts.Client.GetFile(ctx, "dev", "svc/a b.yaml", 9)
	wantCode(t, err, ferry.ENOTFOUND)
	_, err = ts.Client.GetFile(ctx, "dev", "svc/missing.yaml", 0)
	wantCode(t, err, ferry.ENOTFOUND)
	_, _, err = ts.Client.PutFile(ctx, "nope", "a.yaml", []byte("x"), fhttp.PutFileOptions{})
	wantCode(t, err, ferry.ENOTFOUND)
}

func TestGetFileRaw(t *testing.T) {
	ts := newTestServer(t)
	ts.mustNamespace(t, "dev")
	content := "#!/bin/sh\necho hi\n"
	resp := ts.raw(t, "PUT", "/api/v1/namespaces/dev/files/bin/run.sh?mode=executable&message=add", []byte(content))
	if resp.Status != http.StatusCreated {
		t.Fatalf("put = %d %s", resp.Status, resp.Body)
	}
	resp = ts.raw(t, "GET", "/api/v1/namespaces/dev/files/bin/run.sh", nil)
	if resp.Status != http.StatusOK || string(resp.Body) != content {
		t.Fatalf("get = %d %q", resp.Status, resp.Body)
	}
	etag := resp.Header.Get("ETag")
	for header, want := range map[string]string{
		"Content-Type":           "application/octet-stream",
		"X-Ferry-Revision":       "1",
		"X-Ferry-Mode":           "executable",
		"X-Content-Type-Options": "nosniff",
		"Content-Length":         fmt.Sprint(len(content)),
	} {
		if got := resp.Header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	if len(etag) != 66 || etag[0] != '"' || etag[65] != '"' {
		t.Fatalf("ETag = %q, want a quoted SHA-256", etag)
	}

	tests := []struct {
		ifNoneMatch string
		status      int
	}{
		{etag, http.StatusNotModified},
		{`"other", ` + etag, http.StatusNotModified},
		{"W/" + etag, http.StatusNotModified},
		{"*", http.StatusNotModified},
		{`"other"`, http.StatusOK},
	}
	for _, tt := range tests {
		resp := ts.rawToken(t, "GET", "/api/v1/namespaces/dev/files/bin/run.sh", nil, "Bearer "+testToken, http.Header{"If-None-Match": {tt.ifNoneMatch}})
		if resp.Status != tt.status {
			t.Errorf("If-None-Match %s: status %d, want %d", tt.ifNoneMatch, resp.Status, tt.status)
		}
		if tt.status == http.StatusNotModified && (len(resp.Body) != 0 || resp.Header.Get("ETag") != etag) {
			t.Errorf("304 with body %q, ETag %q", resp.Body, resp.Header.Get("ETag"))
		}
	}
}

func TestPutFileModes(t *testing.T) {
	ts := newTestServer(t)
	ts.mustNamespace(t, "dev")
	resp := ts.raw(t, "PUT", "/api/v1/namespaces/dev/files/link?mode=symlink", []byte("target"))
	if resp.Status != http.StatusCreated {
		t.Fatalf("symlink put = %d %s", resp.Status, resp.Body)
	}
	f, err := ts.Client.GetFile(context.Background(), "dev", "link", 0)
	if err != nil || f.Mode != ferry.ModeSymlink {
		t.Fatalf("symlink = %+v, %v", f, err)
	}
	wantError(t, ts.raw(t, "PUT", "/api/v1/namespaces/dev/files/x?mode=socket", []byte("x")), http.StatusBadRequest, ferry.EINVALID, "socket")
	for _, base := range []string{"0", "-1", "abc"} {
		wantError(t, ts.raw(t, "PUT", "/api/v1/namespaces/dev/files/x?base="+base, []byte("x")), http.StatusBadRequest, ferry.EINVALID, "base")
	}
	ts.wantHead(t, "dev", 1)
}

func TestDeleteFile(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.mustNamespace(t, "dev")
	ts.mustPut(t, "dev", "a.yaml", "a")
	rev, err := ts.Client.DeleteFile(ctx, "dev", "a.yaml", "gone")
	if err != nil || rev.Number != 2 || rev.Deleted != 1 || rev.Message != "gone" {
		t.Fatalf("delete = %+v, %v", rev, err)
	}
	_, err = ts.Client.GetFile(ctx, "dev", "a.yaml", 0)
	wantCode(t, err, ferry.ENOTFOUND)
	_, err = ts.Client.DeleteFile(ctx, "dev", "a.yaml", "")
	wantCode(t, err, ferry.ENOTFOUND)
}

func TestOversizedFile(t *testing.T) {
	ts := newTestServer(t, func(s *fhttp.Server) { s.MaxFileSize = 1 << 10 })
	ctx := context.Background()
	ts.mustNamespace(t, "dev")
	ts.mustPut(t, "dev", "a.txt", "small")

	_, _, err := ts.Client.PutFile(ctx, "dev", "a.txt", make([]byte, 1<<10+1), fhttp.PutFileOptions{})
	wantCode(t, err, ferry.EINVALID)
	if !strings.Contains(ferry.ErrorMessage(err), "1 KiB") {
		t.Errorf("message %q does not name the limit", ferry.ErrorMessage(err))
	}
	// A body far over the limit is refused before it is read, and the client still gets the answer.
	_, _, err = ts.Client.PutFile(ctx, "dev", "a.txt", make([]byte, 4<<20), fhttp.PutFileOptions{})
	wantCode(t, err, ferry.EINVALID)
	// Without Content-Length the limit is met while reading.
	req, _ := http.NewRequest("PUT", ts.URL()+"/api/v1/namespaces/dev/files/a.txt", strings.NewReader(strings.Repeat("x", 5000)))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("chunked oversized put = %d, want 400", resp.StatusCode)
	}
	_, _, err = ts.Client.ApplyChanges(ctx, &ferry.ChangeSet{Namespace: "dev", Changes: []ferry.FileChange{{Path: "b.txt", Content: make([]byte, 2000)}}})
	wantCode(t, err, ferry.EINVALID)
	if !strings.Contains(ferry.ErrorMessage(err), "1 KiB") {
		t.Errorf("batch message %q does not name the limit", ferry.ErrorMessage(err))
	}
	if _, _, err := ts.Client.PutFile(ctx, "dev", "a.txt", make([]byte, 1<<10), fhttp.PutFileOptions{}); err != nil {
		t.Errorf("a file of exactly the limit was refused: %v", err)
	}
	ts.wantHead(t, "dev", 2)
}

func TestBadPaths(t *testing.T) {
	ts := newTestServer(t)
	ts.mustNamespace(t, "dev")
	ts.mustPut(t, "dev", "a/b", "keep")
	long := strings.Repeat("a", ferry.MaxPathLength+1)
	tests := []struct{ name, path, fragment string }{
		{"dot dot", "a/../b", "'..'"},
		{"dot", "a/./b", "'.'"},
		{"encoded dot dot", "a/%2e%2e/b", "'..'"},
		{"encoded dot dot upper", "%2E%2E/b", "'..'"},
		{"encoded slashes around dot dot", "a%2F..%2Fb", "'..'"},
		{"empty segment", "a//b", "empty segment"},
		{"absolute via %2F", "%2Fetc/passwd", "absolute"},
		{"NUL", "a%00b", "control character"},
		{"newline", "a%0Ab", "control character"},
		{"too long", long, "4096"},
		{"git dir", ".git/config", ".git"},
		{"git dir upper", "x/.GIT/config", ".git"},
		{"trailing slash", "a/", "ends with '/'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, method := range []string{"PUT", "GET", "DELETE"} {
				resp := ts.raw(t, method, "/api/v1/namespaces/dev/files/"+tt.path, []byte("evil"))
				wantError(t, resp, http.StatusBadRequest, ferry.EINVALID, tt.fragment)
			}
		})
	}
	for _, path := range []string{"/api/v1/namespaces/dev/tree/a/../..", "/api/v1/namespaces/dev/tree/%2e%2e", "/api/v1/namespaces/dev/tree/a//b", "/api/v1/namespaces/dev/tree/.git"} {
		wantError(t, ts.raw(t, "GET", path, nil), http.StatusBadRequest, ferry.EINVALID)
	}
	ts.wantHead(t, "dev", 1)
	ts.wantContent(t, "dev", "a/b", "keep")
}

func TestListTree(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.mustNamespace(t, "dev")
	for _, p := range []string{"top.yaml", "svc/a.yaml", "svc/b.yaml", "svc/deep/c.yaml"} {
		ts.mustPut(t, "dev", p, p)
	}
	tests := []struct {
		q    ferry.TreeQuery
		want string
	}{
		{ferry.TreeQuery{}, "svc:dir top.yaml:file"},
		{ferry.TreeQuery{Dir: "svc"}, "svc/a.yaml:file svc/b.yaml:file svc/deep:dir"},
		{ferry.TreeQuery{Dir: "/svc/"}, "svc/a.yaml:file svc/b.yaml:file svc/deep:dir"},
		{ferry.TreeQuery{Dir: "svc", Recursive: true}, "svc/a.yaml:file svc/b.yaml:file svc/deep/c.yaml:file"},
		{ferry.TreeQuery{Recursive: true, Revision: 2}, "svc/a.yaml:file top.yaml:file"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt.q), func(t *testing.T) {
			var got []string
			q := tt.q
			q.Page.Limit = 2 // forces several pages
			for range 5 {
				items, next, err := ts.Client.ListTree(ctx, "dev", q)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range items {
					got = append(got, e.Path+":"+string(e.Type))
				}
				if next == "" {
					break
				}
				q.Page.Cursor = next
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("tree = %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
	resp := ts.raw(t, "GET", "/api/v1/namespaces/dev/tree/", nil)
	var root struct {
		Items []ferry.TreeEntry
		Next  *string
	}
	decode(t, resp, &root)
	if resp.Status != http.StatusOK || len(root.Items) != 2 || root.Next == nil {
		t.Errorf("root with trailing slash = %d %s", resp.Status, resp.Body)
	}
	_, _, err := ts.Client.ListTree(ctx, "dev", ferry.TreeQuery{Dir: "nope"})
	wantCode(t, err, ferry.ENOTFOUND)
	_, _, err = ts.Client.ListTree(ctx, "nope", ferry.TreeQuery{})
	wantCode(t, err, ferry.ENOTFOUND)
	_, _, err = ts.Client.ListTree(ctx, "dev", ferry.TreeQuery{Revision: 99})
	wantCode(t, err, ferry.ENOTFOUND)
	wantError(t, ts.raw(t, "GET", "/api/v1/namespaces/dev/tree?recursive=maybe", nil), http.StatusBadRequest, ferry.EINVALID, "recursive")
	wantError(t, ts.raw(t, "GET", "/api/v1/namespaces/dev/tree?revision=x", nil), http.StatusBadRequest, ferry.EINVALID, "revision")
}

func TestEmptyTreeIsAList(t *testing.T) {
	ts := newTestServer(t)
	ts.mustNamespace(t, "dev")
	resp := ts.raw(t, "GET", "/api/v1/namespaces/dev/tree", nil)
	if resp.Status != http.StatusOK || strings.TrimSpace(string(resp.Body)) != `{"items":[],"next":""}` {
		t.Errorf("empty tree = %d %s", resp.Status, resp.Body)
	}
}
