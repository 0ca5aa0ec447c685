package http_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/ferrygit/ferry"
)

func TestRevisions(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.mustNamespace(t, "dev")
	ts.mustPut(t, "dev", "a.yaml", "a1")
	ts.mustPut(t, "dev", "b.yaml", "b1")
	ts.mustPut(t, "dev", "a.yaml", "a2")

	revs, next, err := ts.Client.ListRevisions(ctx, "dev", ferry.Page{Limit: 2})
	if err != nil || len(revs) != 2 || revs[0].Number != 3 || revs[1].Number != 2 || next == "" {
		t.Fatalf("first page = %v, %q, %v", revs, next, err)
	}
	revs, next, err = ts.Client.ListRevisions(ctx, "dev", ferry.Page{Limit: 2, Cursor: next})
	if err != nil || len(revs) != 1 || revs[0].Number != 1 || next != "" {
		t.Fatalf("second page = %v, %q, %v", revs, next, err)
	}

	d, err := ts.Client.FindRevision(ctx, "dev", 3)
	if err != nil {
		t.Fatal(err)
	}
	if d.Number != 3 || d.Parent != 2 || len(d.Changes) != 1 || d.Changes[0].Path != "a.yaml" || d.Changes[0].Action != ferry.ActionModified || d.ChangesNext != "" {
		t.Errorf("revision 3 = %+v, changes %v", d.Revision, d.Changes)
	}
	changes, next, err := ts.Client.ListRevisionChanges(ctx, "dev", 2, ferry.Page{})
	if err != nil || len(changes) != 1 || changes[0].Path != "b.yaml" || changes[0].Action != ferry.ActionAdded || next != "" {
		t.Fatalf("changes of 2 = %v, %q, %v", changes, next, err)
	}

	_, err = ts.Client.FindRevision(ctx, "dev", 4)
	wantCode(t, err, ferry.ENOTFOUND)
	_, _, err = ts.Client.ListRevisionChanges(ctx, "dev", 4, ferry.Page{})
	wantCode(t, err, ferry.ENOTFOUND)
	_, _, err = ts.Client.ListRevisions(ctx, "nope", ferry.Page{})
	wantCode(t, err, ferry.ENOTFOUND)
	_, _, err = ts.Client.RestoreRevision(ctx, "dev", 4, "")
	wantCode(t, err, ferry.ENOTFOUND)
}

func TestRevisionChangesPages(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.mustNamespace(t, "dev")
	cs := &ferry.ChangeSet{Namespace: "dev"}
	for i := range 5 {
		cs.Changes = append(cs.Changes, ferry.FileChange{Path: fmt.Sprintf("f%d", i), Content: []byte{byte(i)}})
	}
	if _, _, err := ts.Client.ApplyChanges(ctx, cs); err != nil {
		t.Fatal(err)
	}
	var got []string
	page := ferry.Page{Limit: 2}
	for range 5 {
		items, next, err := ts.Client.ListRevisionChanges(ctx, "dev", 1, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range items {
			got = append(got, c.Path)
		}
		if next == "" {
			break
		}
		page.Cursor = next
	}
	if fmt.Sprint(got) != "[f0 f1 f2 f3 f4]" {
		t.Errorf("changes = %v", got)
	}
	d, err := ts.Client.FindRevision(ctx, "dev", 1)
	if err != nil || len(d.Changes) != 5 {
		t.Fatalf("detail = %+v, %v", d, err)
	}
}

func TestRestoreRevision(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	ts.mustNamespace(t, "dev")
	ts.mustPut(t, "dev", "a.yaml", "v1")
	ts.mustPut(t, "dev", "a.yaml", "v2")
	ts.mustPut(t, "dev", "b.yaml", "new")

	rev, created, err := ts.Client.RestoreRevision(ctx, "dev", 1, "back to v1")
	if err != nil || !created {
		t.Fatalf("restore = %+v, %v, %v", rev, created, err)
	}
	if rev.Number != 4 || rev.Source != ferry.SourceRestore || rev.Message != "back to v1" || rev.Actor != "admin" {
		t.Errorf("restore revision = %+v", rev)
	}
	ts.wantContent(t, "dev", "a.yaml", "v1")
	_, err = ts.Client.GetFile(ctx, "dev", "b.yaml", 0)
	wantCode(t, err, ferry.ENOTFOUND)
	f, err := ts.Client.GetFile(ctx, "dev", "a.yaml", 2)
	if err != nil || string(f.Content) != "v2" {
		t.Fatalf("a.yaml at 2 = %v, %v", f, err)
	}

	rev, created, err = ts.Client.RestoreRevision(ctx, "dev", 1, "")
	if err != nil || created || rev.Number != 4 {
		t.Fatalf("restore onto equal head = %+v, %v, %v; want head 4, not created", rev, created, err)
	}
	resp := ts.raw(t, "POST", "/api/v1/namespaces/dev/revisions/2/restore", nil)
	if resp.Status != http.StatusCreated {
		t.Errorf("restore without body = %d %s", resp.Status, resp.Body)
	}
	wantError(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/revisions/1/restore", []byte(`{"msg":"x"}`)), http.StatusBadRequest, ferry.EINVALID, `unknown field "msg"`)
	ts.wantHead(t, "dev", 5)
}

func TestBadRevisionIDs(t *testing.T) {
	ts := newTestServer(t)
	ts.mustNamespace(t, "dev")
	ts.mustPut(t, "dev", "a", "a")
	for _, id := range []string{"0", "-1", "abc", "1.0", "99999999999999999999"} {
		t.Run(id, func(t *testing.T) {
			wantError(t, ts.raw(t, "GET", "/api/v1/namespaces/dev/revisions/"+id, nil), http.StatusBadRequest, ferry.EINVALID, "Parameter id")
			wantError(t, ts.raw(t, "GET", "/api/v1/namespaces/dev/revisions/"+id+"/changes", nil), http.StatusBadRequest, ferry.EINVALID, "Parameter id")
			wantError(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/revisions/"+id+"/restore", nil), http.StatusBadRequest, ferry.EINVALID, "Parameter id")
			wantError(t, ts.raw(t, "GET", "/api/v1/namespaces/dev/files/a?revision="+id, nil), http.StatusBadRequest, ferry.EINVALID, "Parameter revision")
		})
	}
	wantError(t, ts.raw(t, "GET", "/api/v1/namespaces/dev/revisions/2", nil), http.StatusNotFound, ferry.ENOTFOUND)
}
