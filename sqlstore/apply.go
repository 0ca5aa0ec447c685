package sqlstore

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/ferrygit/ferry"
)

// op is one effective change of a new revision: write a blob at a path, or delete the path.
type op struct {
	path   string
	action string // ferry.ActionAdded, ActionModified or ActionDeleted
	file   liveFile
}

// liveFile is a file row's content at the head.
type liveFile struct {
	blob   string
	size   int64
	mode   ferry.Mode
	gitOID string // Git's blob ID; "" for rows written before Ferry recorded it
}

// same reports whether two files have the same content and mode.
func (f liveFile) same(g liveFile) bool { return f.blob == g.blob && f.mode == g.mode }

// gitBlobID returns the ID Git gives a blob with this content.
func gitBlobID(content []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// revisionMeta is what a new revision records besides its changes.
type revisionMeta struct {
	actor, message, source, commit, binding string
}

// ApplyChanges applies a change set as one new revision in one transaction, writing only
// what changed; see ferry.FileService.
func (db *DB) ApplyChanges(ctx context.Context, cs *ferry.ChangeSet) (*ferry.Revision, bool, error) {
	if err := cs.Validate(math.MaxInt64); err != nil {
		return nil, false, err
	}
	contents := make(map[string][]byte, len(cs.Changes))
	blobIDs := make([]liveFile, len(cs.Changes))
	for i, c := range cs.Changes {
		if !c.Delete {
			sum := sha256.Sum256(c.Content)
			blobIDs[i] = liveFile{blob: hex.EncodeToString(sum[:]), gitOID: gitBlobID(c.Content)}
			contents[blobIDs[i].blob] = c.Content
		}
	}

	tx, err := db.begin(ctx)
	if err != nil {
		return nil, false, err
	}
	defer tx.Rollback()
	ns, err := findNamespace(ctx, tx, cs.Namespace, db.forUpdate())
	if err != nil {
		return nil, false, err
	}
	if cs.Base > 0 && cs.Base != ns.Head {
		return nil, false, ferry.Errorf(ferry.ECONFLICT, "Namespace %q is at revision %d, not %d: it changed since you read it. Read it again and retry.", ns.Name, ns.Head, cs.Base)
	}
	view, err := newLiveView(ctx, tx, ns, len(cs.Changes))
	if err != nil {
		return nil, false, err
	}
	ops, err := planOps(ctx, view, ns, cs, blobIDs)
	if err != nil || len(ops) == 0 {
		if err == nil && ns.Head > 0 {
			rev, err := db.FindRevision(ctx, ns.Name, ns.Head)
			return rev, false, err
		}
		return nil, false, err
	}
	rev, err := tx.writeRevision(ctx, ns, ops, contents, revisionMeta{cs.Actor, cs.Message, cs.Source, cs.Commit, cs.Binding})
	if err != nil {
		return nil, false, err
	}
	return rev, true, tx.Commit()
}

// planOps turns a change set into the operations that actually change the head, and checks
// that no file would sit where a directory is or the other way round.
func planOps(ctx context.Context, view liveView, ns *ferry.Namespace, cs *ferry.ChangeSet, blobIDs []liveFile) ([]op, error) {
	var ops []op
	deleted := map[string]bool{}
	written := make(map[string]bool, len(cs.Changes))
	var created []string
	for i, c := range cs.Changes {
		cur, ok, err := view.get(ctx, c.Path)
		if err != nil {
			return nil, err
		}
		if c.Delete {
			if !ok {
				return nil, notFound("File %q does not exist in namespace %q.", c.Path, ns.Name)
			}
			ops = append(ops, op{path: c.Path, action: ferry.ActionDeleted, file: cur})
			deleted[c.Path] = true
			continue
		}
		written[c.Path] = true
		f := liveFile{blob: blobIDs[i].blob, gitOID: blobIDs[i].gitOID, size: int64(len(c.Content)), mode: c.Mode}
		if f.mode == "" {
			f.mode = ferry.ModeFile
			if ok {
				f.mode = cur.mode
			}
		}
		switch {
		case ok && cur.same(f):
		case ok:
			ops = append(ops, op{path: c.Path, action: ferry.ActionModified, file: f})
		default:
			ops = append(ops, op{path: c.Path, action: ferry.ActionAdded, file: f})
			created = append(created, c.Path)
		}
	}
	for _, p := range created {
		if err := checkPlacement(ctx, view, p, written, deleted); err != nil {
			return nil, err
		}
	}
	return ops, nil
}

// checkPlacement returns ECONFLICT when the new file p would lie under a file, or where a
// directory is, once the change's writes and deletions are applied.
func checkPlacement(ctx context.Context, view liveView, p string, written, deleted map[string]bool) error {
	for a := parentDir(p); a != ""; a = parentDir(a) {
		if written[a] {
			return ferry.Errorf(ferry.ECONFLICT, "File %q cannot be created: the same change writes %q as a file.", p, a)
		}
		_, ok, err := view.get(ctx, a)
		if err != nil {
			return err
		}
		if ok && !deleted[a] {
			return ferry.Errorf(ferry.ECONFLICT, "File %q cannot be created: %q is a file, not a directory. Delete %q in the same change to replace it.", p, a, a)
		}
	}
	below, err := view.descendants(ctx, p)
	if err != nil {
		return err
	}
	for _, d := range below {
		if !deleted[d] {
			return ferry.Errorf(ferry.ECONFLICT, "File %q cannot be created: %q is a directory holding %q. Delete its files in the same change to replace it.", p, p, d)
		}
	}
	return nil
}

// parentDir returns the directory holding p, "" at the root.
func parentDir(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// writeRevision records ops as the namespace's next revision: it moves the head, stores the
// new blobs, closes the replaced rows and opens the new ones. Rows written: O(len(ops)).
func (tx *Tx) writeRevision(ctx context.Context, ns *ferry.Namespace, ops []op, contents map[string][]byte, meta revisionMeta) (*ferry.Revision, error) {
	sort.Slice(ops, func(i, j int) bool { return ops[i].path < ops[j].path })
	rev := &ferry.Revision{
		Namespace: ns.Name, Number: ns.Head + 1, Parent: ns.Head, CreatedAt: tx.now,
		Actor: meta.actor, Message: meta.message, Source: meta.source, Commit: meta.commit, Binding: meta.binding,
	}
	var closing []any
	var opening [][]any
	for _, o := range ops {
		switch o.action {
		case ferry.ActionAdded:
			rev.Added++
		case ferry.ActionModified:
			rev.Modified++
		case ferry.ActionDeleted:
			rev.Deleted++
		}
		if o.action != ferry.ActionAdded {
			closing = append(closing, o.path)
		}
		if o.action != ferry.ActionDeleted {
			opening = append(opening, []any{ns.ID, o.path, rev.Number, live, o.file.blob, o.file.size, string(o.file.mode), o.file.gitOID})
		}
	}
	if _, err := tx.exec(ctx, `UPDATE namespaces SET head = $1 WHERE id = $2`, rev.Number, ns.ID); err != nil {
		return nil, err
	}
	if _, err := tx.exec(ctx, `INSERT INTO revisions (namespace_id, number, parent, created_at, actor, message, source, commit_id, added, modified, deleted, binding)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		ns.ID, rev.Number, rev.Parent, rev.CreatedAt, rev.Actor, rev.Message, rev.Source, rev.Commit, rev.Added, rev.Modified, rev.Deleted, rev.Binding); err != nil {
		return nil, err
	}
	if err := tx.storeBlobs(ctx, ops, contents); err != nil {
		return nil, err
	}
	for _, chunk := range chunks(closing, 500) {
		ph := tx.db.placeholders
		q := `UPDATE files SET to_rev = ` + ph(1, 1) + ` WHERE namespace_id = ` + ph(2, 1) + ` AND to_rev = ` + ph(3, 1) + ` AND path IN (` + ph(4, len(chunk)) + `)`
		if _, err := tx.exec(ctx, q, append([]any{rev.Number, ns.ID, live}, chunk...)...); err != nil {
			return nil, err
		}
	}
	if err := tx.insertRows(ctx, "files (namespace_id, path, from_rev, to_rev, blob_id, size, mode, git_oid)", opening); err != nil {
		return nil, err
	}
	return rev, nil
}

// storeBlobs inserts the contents of the ops' blobs that the database does not hold yet.
func (tx *Tx) storeBlobs(ctx context.Context, ops []op, contents map[string][]byte) error {
	var ids []any
	seen := map[string]bool{}
	for _, o := range ops {
		if _, ok := contents[o.file.blob]; ok && o.action != ferry.ActionDeleted && !seen[o.file.blob] {
			seen[o.file.blob] = true
			ids = append(ids, o.file.blob)
		}
	}
	for _, chunk := range chunks(ids, 500) {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM blobs WHERE id IN (`+tx.db.placeholders(1, len(chunk))+`)`, chunk...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			seen[id] = false
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	var missing [][]any
	for _, id := range ids {
		if seen[id.(string)] {
			c := contents[id.(string)]
			if c == nil {
				c = []byte{} // empty content is a value, not NULL
			}
			missing = append(missing, []any{id, int64(len(c)), c})
		}
	}
	return tx.insertRows(ctx, "blobs (id, size, content)", missing)
}

// insertRows inserts rows into table with multi-row INSERTs, each under a bound on
// parameters and bytes.
func (tx *Tx) insertRows(ctx context.Context, table string, rows [][]any) error {
	const maxParams, maxBytes = 30000, 8 << 20
	for len(rows) > 0 {
		n, params, size := 0, 0, 0
		for n < len(rows) && (n == 0 || (params+len(rows[n]) <= maxParams && size <= maxBytes)) {
			params += len(rows[n])
			for _, v := range rows[n] {
				if b, ok := v.([]byte); ok {
					size += len(b)
				}
			}
			n++
		}
		var q strings.Builder
		q.WriteString("INSERT INTO " + table + " VALUES ")
		var args []any
		for i, r := range rows[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + tx.db.placeholders(len(args)+1, len(r)) + ")")
			args = append(args, r...)
		}
		if _, err := tx.exec(ctx, q.String(), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// placeholders returns "$start, $start+1, …" for n parameters; for SQLite "?, ?, …", since
// the driver looks each numbered parameter up by name, which makes a long list quadratic. A
// statement that uses placeholders must use them for all its parameters, in order.
func (db *DB) placeholders(start, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		if db.dialect == SQLite {
			b.WriteByte('?')
			continue
		}
		b.WriteByte('$')
		b.WriteString(itoa(start + i))
	}
	return b.String()
}

// chunks splits s into slices of at most n elements.
func chunks(s []any, n int) [][]any {
	var out [][]any
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}
