package http_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
)

func TestApplyChanges(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.mustNamespace(t, "dev")
	ts.mustPut(t, "dev", "old.yaml", "old")

	binary := []byte{0xff, 0x00, 0xfe, 'x'}
	cs := &ferry.ChangeSet{Namespace: "dev", Base: 1, Message: "batch", Changes: []ferry.FileChange{
		{Path: "a/b.yaml", Content: []byte("b: 1\n")},
		{Path: "bin.dat", Content: binary},
		{Path: "x.sh", Content: []byte("#!/bin/sh\n"), Mode: ferry.ModeExecutable},
		{Path: "old.yaml", Delete: true},
	}}
	rev, created, err := ts.Client.ApplyChanges(ctx, cs)
	if err != nil || !created {
		t.Fatalf("apply = %+v, %v, %v", rev, created, err)
	}
	if rev.Number != 2 || rev.Added != 3 || rev.Deleted != 1 || rev.Message != "batch" || rev.Actor != "admin" {
		t.Errorf("revision = %+v", rev)
	}
	f, err := ts.Client.GetFile(ctx, "dev", "bin.dat", 0)
	if err != nil || !bytes.Equal(f.Content, binary) {
		t.Fatalf("binary file = %v, %v", f, err)
	}
	f, err = ts.Client.GetFile(ctx, "dev", "x.sh", 0)
	if err != nil || f.Mode != ferry.ModeExecutable {
		t.Fatalf("x.sh = %+v, %v", f, err)
	}
	rev, created, err = ts.Client.ApplyChanges(ctx, &ferry.ChangeSet{Namespace: "dev", Changes: []ferry.FileChange{{Path: "a/b.yaml", Content: []byte("b: 1\n")}}})
	if err != nil || created || rev.Number != 2 {
		t.Fatalf("unchanged apply = %+v, %v, %v", rev, created, err)
	}
	_, _, err = ts.Client.ApplyChanges(ctx, &ferry.ChangeSet{Namespace: "dev", Base: 1, Changes: []ferry.FileChange{{Path: "c", Content: []byte("c")}}})
	wantCode(t, err, ferry.ECONFLICT)
	_, _, err = ts.Client.ApplyChanges(ctx, &ferry.ChangeSet{Namespace: "nope", Changes: []ferry.FileChange{{Path: "c", Content: []byte("c")}}})
	wantCode(t, err, ferry.ENOTFOUND)
}

func TestApplyChangesRaw(t *testing.T) {
	ts := newTestServer(t)
	ts.mustNamespace(t, "dev")
	body := `{"message":"m","base":0,"files":[{"path":"a.txt","content":"hi"},{"path":"b.bin","content_base64":"` +
		base64.StdEncoding.EncodeToString([]byte{1, 2, 3}) + `"}]}`
	resp := ts.raw(t, "POST", "/api/v1/namespaces/dev/changes", []byte(body))
	if resp.Status != http.StatusCreated {
		t.Fatalf("apply = %d %s", resp.Status, resp.Body)
	}
	var rev map[string]any
	decode(t, resp, &rev)
	if rev["id"] != 1.0 || rev["added"] != 2.0 || rev["namespace"] != "dev" {
		t.Errorf("revision JSON = %v", rev)
	}
	resp = ts.raw(t, "POST", "/api/v1/namespaces/dev/changes", []byte(body))
	if resp.Status != http.StatusOK {
		t.Errorf("repeated apply = %d, want 200", resp.Status)
	}
}

// TestApplyChangesRejected checks that a bad batch changes nothing that is stored.
func TestApplyChangesRejected(t *testing.T) {
	ts := newTestServer(t, func(s *fhttp.Server) { s.MaxRequestSize = 4 << 10 })
	ts.mustNamespace(t, "dev")
	ts.mustPut(t, "dev", "keep.yaml", "original")
	tests := []struct {
		name, body, fragment string
		status               int
		code                 string
	}{
		{"malformed", "{\"files\": [\n  {\"path\": \"keep.yaml\", \"content\": \"x\"},,\n]}", "line 2", 400, ferry.EINVALID},
		{"unknown field", `{"files":[{"path":"keep.yaml","content":"x","owner":"me"}]}`, `unknown field "owner"`, 400, ferry.EINVALID},
		{"trailing data", `{"files":[{"path":"keep.yaml","content":"x"}]}x`, "after its JSON object", 400, ferry.EINVALID},
		{"empty body", ``, "empty", 400, ferry.EINVALID},
		{"no files", `{"message":"m","files":[]}`, "at least one file", 400, ferry.EINVALID},
		{"content and base64", `{"files":[{"path":"keep.yaml","content":"x","content_base64":"eA=="}]}`, "both content and content_base64", 400, ferry.EINVALID},
		{"delete with content", `{"files":[{"path":"keep.yaml","delete":true,"content":"x"}]}`, "deletes the file", 400, ferry.EINVALID},
		{"neither content nor delete", `{"files":[{"path":"keep.yaml"}]}`, "needs content", 400, ferry.EINVALID},
		{"bad base64", `{"files":[{"path":"keep.yaml","content_base64":"!!"}]}`, "not valid base64", 400, ferry.EINVALID},
		{"one bad path", `{"files":[{"path":"keep.yaml","content":"x"},{"path":"../evil","content":"x"}]}`, `".." segment`, 400, ferry.EINVALID},
		{"one bad mode", `{"files":[{"path":"keep.yaml","content":"x"},{"path":"b","content":"x","mode":"fifo"}]}`, "fifo", 400, ferry.EINVALID},
		{"duplicate path", `{"files":[{"path":"keep.yaml","content":"x"},{"path":"keep.yaml","content":"y"}]}`, "more than once", 400, ferry.EINVALID},
		{"negative base", `{"base":-1,"files":[{"path":"keep.yaml","content":"x"}]}`, "base", 400, ferry.EINVALID},
		{"wrong type", `{"base":"1","files":[{"path":"keep.yaml","content":"x"}]}`, `"base" must be a number`, 400, ferry.EINVALID},
		{"too large", `{"files":[{"path":"keep.yaml","content":"` + strings.Repeat("x", 5000) + `"}]}`, "4 KiB", 400, ferry.EINVALID},
		{"delete of a missing file", `{"files":[{"path":"keep.yaml","content":"x"},{"path":"missing","delete":true}]}`, "missing", 404, ferry.ENOTFOUND},
		{"stale base", `{"base":7,"files":[{"path":"keep.yaml","content":"x"}]}`, "revision 1", 409, ferry.ECONFLICT},
		{"file under a file", `{"files":[{"path":"keep.yaml","content":"x"},{"path":"keep.yaml/child","content":"x"}]}`, "", 409, ferry.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := ts.raw(t, "POST", "/api/v1/namespaces/dev/changes", []byte(tt.body))
			wantError(t, resp, tt.status, tt.code, tt.fragment)
			ts.wantHead(t, "dev", 1)
			ts.wantContent(t, "dev", "keep.yaml", "original")
		})
	}
}
