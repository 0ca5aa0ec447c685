package sqlstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sqlstore"
)

func TestApplyChanges(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateNamespace(t, db, "dev")
		r1 := write(t, db, "dev", map[string]string{"services/a.yaml": "a: 1\n", "services/b.yaml": "b: 1\n", "README": "hi"})
		if r1.Number != 1 || r1.Parent != 0 || r1.Added != 3 || r1.Actor != "tester" || r1.Source != ferry.SourceAPI || !r1.CreatedAt.Equal(fixedNow) {
			t.Fatalf("rev 1 = %+v", r1)
		}
		r2 := write(t, db, "dev", map[string]string{"services/a.yaml": "a: 2\n"})
		if r2.Number != 2 || r2.Parent != 1 || r2.Modified != 1 || r2.Added != 0 {
			t.Fatalf("rev 2 = %+v", r2)
		}
		r3 := write(t, db, "dev", map[string]string{"services/b.yaml": ""})
		if r3.Number != 3 || r3.Deleted != 1 {
			t.Fatalf("rev 3 = %+v", r3)
		}

		// Nothing changes: the head comes back and no revision is made.
		rev, created, err := db.ApplyChanges(ctx, &ferry.ChangeSet{Namespace: "dev", Actor: "x",
			Changes: []ferry.FileChange{{Path: "services/a.yaml", Content: []byte("a: 2\n")}}})
		if err != nil || created || rev.Number != 3 {
			t.Fatalf("no-op change = %+v, %v, %v", rev, created, err)
		}
		// A mode change alone is a change.
		rev, created, err = db.ApplyChanges(ctx, &ferry.ChangeSet{Namespace: "dev", Actor: "x",
			Changes: []ferry.FileChange{{Path: "README", Content: []byte("hi"), Mode: ferry.ModeExecutable}}})
		if err != nil || !created || rev.Modified != 1 {
			t.Fatalf("mode change = %+v, %v, %v", rev, created, err)
		}

		// Without a mode, a rewrite keeps the file's mode.
		rev, created, err = db.ApplyChanges(ctx, &ferry.ChangeSet{Namespace: "dev", Actor: "x",
			Changes: []ferry.FileChange{{Path: "README", Content: []byte("hi again")}}})
		if err != nil || !created {
			t.Fatalf("rewrite = %+v, %v, %v", rev, created, err)
		}
		if f, err := db.ReadFile(ctx, "dev", "README", 0); err != nil || f.Mode != ferry.ModeExecutable {
			t.Fatalf("README after a rewrite without mode = %+v, %v", f, err)
		}

		if got := readString(t, db, "dev", "services/a.yaml", 1); got != "a: 1\n" {
			t.Fatalf("a@1 = %q", got)
		}
		if got := readString(t, db, "dev", "services/a.yaml", 0); got != "a: 2\n" {
			t.Fatalf("a@head = %q", got)
		}
		if got := readString(t, db, "dev", "services/b.yaml", 2); got != "b: 1\n" {
			t.Fatalf("b@2 = %q", got)
		}
		f, err := db.ReadFile(ctx, "dev", "services/a.yaml", 0)
		if err != nil || f.Revision != 2 || f.Size != 5 || f.Mode != ferry.ModeFile || len(f.Blob) != 64 {
			t.Fatalf("file = %+v, %v", f, err)
		}
		_, err = db.ReadFile(ctx, "dev", "services/b.yaml", 0)
		wantCode(t, err, ferry.ENOTFOUND)
		_, err = db.ReadFile(ctx, "dev", "services", 0)
		wantCode(t, err, ferry.ENOTFOUND)
		_, err = db.ReadFile(ctx, "dev", "README", 99)
		wantCode(t, err, ferry.ENOTFOUND)
		_, err = db.ReadFile(ctx, "nope", "README", 0)
		wantCode(t, err, ferry.ENOTFOUND)
	})
}

// TestApplyChangesRejects checks that each bad change fails with its code and leaves the
// namespace exactly as it was.
func TestApplyChangesRejects(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateNamespace(t, db, "dev")
		write(t, db, "dev", map[string]string{"a/b.yaml": "b", "file": "f"})
		for _, tc := range []struct {
			name    string
			cs      ferry.ChangeSet
			code    string
			changes []ferry.FileChange
		}{
			{"unknown namespace", ferry.ChangeSet{Namespace: "nope"}, ferry.ENOTFOUND, []ferry.FileChange{{Path: "x", Content: []byte("x")}}},
			{"empty", ferry.ChangeSet{Namespace: "dev"}, ferry.EINVALID, nil},
			{"one bad path in a batch", ferry.ChangeSet{Namespace: "dev"}, ferry.EINVALID, []ferry.FileChange{{Path: "ok", Content: []byte("x")}, {Path: "../evil", Content: []byte("x")}}},
			{"repeated path", ferry.ChangeSet{Namespace: "dev"}, ferry.EINVALID, []ferry.FileChange{{Path: "x", Content: []byte("1")}, {Path: "x", Content: []byte("2")}}},
			{"bad mode", ferry.ChangeSet{Namespace: "dev"}, ferry.EINVALID, []ferry.FileChange{{Path: "x", Content: []byte("1"), Mode: "weird"}}},
			{"delete missing", ferry.ChangeSet{Namespace: "dev"}, ferry.ENOTFOUND, []ferry.FileChange{{Path: "new", Content: []byte("1")}, {Path: "missing", Delete: true}}},
			{"stale base", ferry.ChangeSet{Namespace: "dev", Base: 7}, ferry.ECONFLICT, []ferry.FileChange{{Path: "x", Content: []byte("1")}}},
			{"file under a file", ferry.ChangeSet{Namespace: "dev"}, ferry.ECONFLICT, []ferry.FileChange{{Path: "file/x", Content: []byte("1")}}},
			{"file where a directory is", ferry.ChangeSet{Namespace: "dev"}, ferry.ECONFLICT, []ferry.FileChange{{Path: "a", Content: []byte("1")}}},
			{"file under a file of the same change", ferry.ChangeSet{Namespace: "dev"}, ferry.ECONFLICT, []ferry.FileChange{{Path: "n", Content: []byte("1")}, {Path: "n/m", Content: []byte("1")}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := db.RowsWritten()
				cs := tc.cs
				cs.Changes = tc.changes
				_, _, err := db.ApplyChanges(ctx, &cs)
				wantCode(t, err, tc.code)
				if ferry.ErrorMessage(err) == "" || ferry.ErrorMessage(err) == "Internal error." {
					t.Fatalf("message = %q", ferry.ErrorMessage(err))
				}
				if db.RowsWritten() != before {
					t.Fatalf("a rejected change wrote %d rows", db.RowsWritten()-before)
				}
				ns, err := db.FindNamespace(ctx, "dev")
				if err != nil || ns.Head != 1 {
					t.Fatalf("head = %+v, %v", ns, err)
				}
			})
		}
		// Replacing a directory by a file works when the same change deletes its files,
		// and a file by a directory likewise.
		rev := write(t, db, "dev", map[string]string{"a/b.yaml": "", "a": "now a file", "file": "", "file/x": "now a dir"})
		if rev.Added != 2 || rev.Deleted != 2 {
			t.Fatalf("swap = %+v", rev)
		}
	})
}

func TestContentRoundTrip(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateNamespace(t, db, "dev")
		binary := []byte{0, 1, 2, 0xff, 0xfe, 0, '\n'}
		_, _, err := db.ApplyChanges(ctx, &ferry.ChangeSet{Namespace: "dev", Actor: "t", Changes: []ferry.FileChange{
			{Path: "bin.dat", Content: binary},
			{Path: "empty", Content: nil},
			{Path: "run.sh", Content: []byte("#!/bin/sh\n"), Mode: ferry.ModeExecutable},
			{Path: "link", Content: []byte("run.sh"), Mode: ferry.ModeSymlink},
			{Path: "ünïcode/文件.yaml", Content: []byte("x")},
		}})
		if err != nil {
			t.Fatal(err)
		}
		for path, want := range map[string]string{"bin.dat": string(binary), "empty": "", "run.sh": "#!/bin/sh\n", "link": "run.sh", "ünïcode/文件.yaml": "x"} {
			if got := readString(t, db, "dev", path, 0); got != want {
				t.Errorf("%s = %q, want %q", path, got, want)
			}
		}
		// Git's own blob IDs ride along, so pulls compare trees without reading blobs.
		write(t, db, "dev", map[string]string{"hello": "hello\n"})
		entries, _, err := db.ListTree(ctx, "dev", ferry.TreeQuery{Recursive: true})
		if err != nil {
			t.Fatal(err)
		}
		oids := map[string]string{}
		for _, e := range entries {
			oids[e.Path] = e.GitOID
		}
		// git hash-object of "hello\n", and of the empty blob.
		if oids["hello"] != "ce013625030ba8dba906f756967f9e9ca394464a" || oids["empty"] != "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391" {
			t.Fatalf("git blob IDs = %v", oids)
		}
		for path, mode := range map[string]ferry.Mode{"run.sh": ferry.ModeExecutable, "link": ferry.ModeSymlink, "empty": ferry.ModeFile} {
			if f, err := db.ReadFile(ctx, "dev", path, 0); err != nil || f.Mode != mode {
				t.Errorf("%s mode = %v, %v", path, f, err)
			}
		}
	})
}

// TestRowsWrittenPerChange pins the storage promise: a one-file change writes the same few
// rows whatever the namespace's size.
func TestRowsWrittenPerChange(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		var perChange []int64
		for i, size := range []int{10, 2000} {
			ns := fmt.Sprintf("ns%d", i)
			mustCreateNamespace(t, db, ns)
			files := map[string]string{}
			for j := 0; j < size; j++ {
				files[fmt.Sprintf("dir%02d/file%05d.yaml", j%50, j)] = fmt.Sprint("n: ", j)
			}
			write(t, db, ns, files)
			before := db.RowsWritten()
			write(t, db, ns, map[string]string{"dir07/file00007.yaml": "changed in " + ns})
			perChange = append(perChange, db.RowsWritten()-before)
		}
		// head moved, revision inserted, blob stored, old row closed, new row opened.
		if perChange[0] != 5 || perChange[1] != 5 {
			t.Fatalf("rows written by a one-file change: %v, want 5 for both sizes", perChange)
		}
	})
}

func TestBlobsStoredOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		mustCreateNamespace(t, db, "a")
		mustCreateNamespace(t, db, "b")
		before := db.RowsWritten()
		write(t, db, "a", map[string]string{"x": "same", "y": "same"})
		// head, revision, one blob, two file rows.
		if n := db.RowsWritten() - before; n != 5 {
			t.Fatalf("rows written = %d, want 5 (one blob for two files)", n)
		}
		before = db.RowsWritten()
		write(t, db, "b", map[string]string{"z": "same"})
		if n := db.RowsWritten() - before; n != 3 {
			t.Fatalf("rows written = %d, want 3 (the blob exists)", n)
		}
		// Deleting a keeps the blob b still uses.
		if err := db.DeleteNamespace(context.Background(), "a"); err != nil {
			t.Fatal(err)
		}
		if got := readString(t, db, "b", "z", 0); got != "same" {
			t.Fatalf("z = %q", got)
		}
	})
}

func TestConcurrentWriters(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		mustCreateNamespace(t, db, "dev")
		const writers = 8
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for i := 0; i < writers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := db.ApplyChanges(context.Background(), &ferry.ChangeSet{Namespace: "dev", Actor: "t",
					Changes: []ferry.FileChange{{Path: fmt.Sprintf("w%d", i), Content: []byte("x")}}})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		revs, _, err := db.ListRevisions(context.Background(), "dev", ferry.Page{})
		if err != nil || len(revs) != writers {
			t.Fatalf("revisions = %d, %v", len(revs), err)
		}
		for i, r := range revs {
			if want := int64(writers - i); r.Number != want || r.Parent != want-1 {
				t.Fatalf("revision %d = %+v", i, r)
			}
		}
		entries, _, err := db.ListTree(context.Background(), "dev", ferry.TreeQuery{})
		if err != nil || len(entries) != writers {
			t.Fatalf("tree = %d entries, %v", len(entries), err)
		}
	})
}

func TestReadBlobs(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateNamespace(t, db, "dev")
		files := map[string]string{}
		for i := 0; i < 700; i++ { // more than one batch
			files[fmt.Sprintf("f%03d", i)] = fmt.Sprint("content ", i%350) // half of them shared
		}
		write(t, db, "dev", files)
		entries, _, err := db.ListTree(ctx, "dev", ferry.TreeQuery{Recursive: true, Page: ferry.Page{Limit: 1000}})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{}
		var ids []string
		for _, e := range entries {
			if _, ok := want[e.Blob]; !ok {
				ids = append(ids, e.Blob)
			}
			want[e.Blob] = files[e.Path]
		}
		got := map[string]string{}
		if err := db.ReadBlobs(ctx, append(ids, "0000000000000000000000000000000000000000000000000000000000000000"), func(id string, content []byte) error {
			got[id] = string(content)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != 350 || len(want) != 350 {
			t.Fatalf("read %d blobs, want 350", len(got))
		}
		for id, c := range want {
			if got[id] != c {
				t.Fatalf("blob %s = %q, want %q", id, got[id], c)
			}
		}
	})
}
