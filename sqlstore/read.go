package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/ferrygit/ferry"
)

// resolveRevision returns the revision number a read asked for: rev, or the head for 0.
// Returns ENOTFOUND for a revision the namespace does not have.
func resolveRevision(ns *ferry.Namespace, rev int64) (int64, error) {
	switch {
	case rev < 0:
		return 0, ferry.Errorf(ferry.EINVALID, "Revision %d is not a positive number.", rev)
	case rev == 0:
		return ns.Head, nil
	case rev > ns.Head:
		return 0, notFound("Revision %d does not exist in namespace %q; the newest is %d.", rev, ns.Name, ns.Head)
	}
	return rev, nil
}

// liveAt returns the condition that selects file rows live at revision rev, using the
// parameter $n for rev. At the head it is an equality that the files_live index serves.
func liveAt(ns *ferry.Namespace, rev int64, n int) string {
	if rev == ns.Head {
		return "to_rev = " + itoa64(live) + " AND $" + itoa(n) + " >= 0"
	}
	return "from_rev <= $" + itoa(n) + " AND to_rev > $" + itoa(n)
}

// ReadFile returns the file at path with its content at revision rev (0: the newest).
func (db *DB) ReadFile(ctx context.Context, name, path string, rev int64) (*ferry.File, error) {
	ns, err := db.FindNamespace(ctx, name)
	if err != nil {
		return nil, err
	}
	if rev, err = resolveRevision(ns, rev); err != nil {
		return nil, err
	}
	f := &ferry.File{Path: path}
	err = db.read.QueryRowContext(ctx, `SELECT f.from_rev, f.blob_id, f.size, f.mode, b.content FROM files f JOIN blobs b ON b.id = f.blob_id
		WHERE f.namespace_id = $1 AND f.path = $2 AND `+liveAt(ns, rev, 3), ns.ID, path, rev).
		Scan(&f.Revision, &f.Blob, &f.Size, &f.Mode, &f.Content)
	if errors.Is(err, sql.ErrNoRows) {
		if n, err := db.countBelow(ctx, ns, path, rev); err != nil {
			return nil, err
		} else if n > 0 {
			return nil, notFound("%q is a directory in namespace %q at revision %d, not a file; list its entries instead.", path, name, rev)
		}
		return nil, notFound("File %q does not exist in namespace %q at revision %d.", path, name, rev)
	}
	return f, err
}

// countBelow returns 1 if any file lies below dir at rev, else 0.
func (db *DB) countBelow(ctx context.Context, ns *ferry.Namespace, dir string, rev int64) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM files WHERE namespace_id = $1 AND path >= $2 AND path < $3 AND `+
		liveAt(ns, rev, 4)+` LIMIT 1) AS below`, ns.ID, dir+"/", dir+"0", rev).Scan(&n)
	return n, err
}

// ListTree returns one page of the entries under a directory, ordered by path. A
// subdirectory is one entry; the rows below it are skipped with one indexed seek.
func (db *DB) ListTree(ctx context.Context, name string, q ferry.TreeQuery) ([]*ferry.TreeEntry, string, error) {
	page := q.Page.Normalize()
	ns, err := db.FindNamespace(ctx, name)
	if err != nil {
		return nil, "", err
	}
	rev, err := resolveRevision(ns, q.Revision)
	if err != nil {
		return nil, "", err
	}
	prefix, upper := "", ""
	if q.Dir != "" {
		prefix, upper = q.Dir+"/", q.Dir+"0"
	}
	from, err := decodeCursor(page.Cursor)
	if err != nil {
		return nil, "", err
	}
	if from < prefix {
		from = prefix
	}
	l := &treeLister{db: db, ns: ns, rev: rev, prefix: prefix, upper: upper, recursive: q.Recursive}
	items, next, err := l.list(ctx, from, page.Limit)
	if err != nil {
		return nil, "", err
	}
	if len(items) == 0 && q.Dir != "" && page.Cursor == "" {
		if _, err := db.ReadFile(ctx, name, q.Dir, rev); err == nil {
			return nil, "", ferry.Errorf(ferry.EINVALID, "%q is a file in namespace %q, not a directory; read it instead.", q.Dir, name)
		}
		return nil, "", notFound("Directory %q does not exist in namespace %q at revision %d.", q.Dir, name, rev)
	}
	return items, next, nil
}

// minBatch is the number of rows a tree listing reads at first, and again after each
// subdirectory.
const minBatch = 16

// treeLister walks the file rows under prefix (and before upper, when set) at one revision.
type treeLister struct {
	db            *DB
	ns            *ferry.Namespace
	rev           int64
	prefix, upper string
	recursive     bool
}

// list returns up to limit entries starting at the path from, and the cursor of the entry
// after them ("" at the end). Cursors are inclusive lower bounds on the row paths.
func (l *treeLister) list(ctx context.Context, from string, limit int) ([]*ferry.TreeEntry, string, error) {
	items := []*ferry.TreeEntry{}
	size := minBatch
	for {
		b, err := l.batch(ctx, from, min(size, limit+1-len(items)))
		if err != nil {
			return nil, "", err
		}
		for i, e := range b.entries {
			if len(items) == limit {
				return items, encodeCursor(b.starts[i]), nil
			}
			items = append(items, e)
		}
		if b.next == "" {
			return items, "", nil
		}
		// A batch that meets a subdirectory ends there and the rest of its rows are wasted,
		// so batches start small and grow only while they hold files.
		if b.metDir {
			size = minBatch
		} else {
			size *= 4
		}
		from = b.next
	}
}

// treeBatch is what one query of a listing yields: entries, the bound at which each starts,
// and the bound to continue from ("" when the directory is exhausted).
type treeBatch struct {
	entries []*ferry.TreeEntry
	starts  []string
	next    string
	metDir  bool
}

// batch reads up to n rows from the path from and turns them into entries. It stops after
// the first subdirectory, continuing past all the rows below it.
func (l *treeLister) batch(ctx context.Context, from string, n int) (*treeBatch, error) {
	query := `SELECT path, blob_id, size, mode, git_oid FROM files WHERE namespace_id = $1 AND ` + liveAt(l.ns, l.rev, 2) + ` AND path >= $3`
	args := []any{l.ns.ID, l.rev, from}
	if l.upper != "" {
		query += ` AND path < $4`
		args = append(args, l.upper)
	}
	rows, err := l.db.read.QueryContext(ctx, query+` ORDER BY path LIMIT `+itoa(n), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	b := &treeBatch{}
	count := 0
	for rows.Next() {
		count++
		e := &ferry.TreeEntry{Type: ferry.EntryFile}
		if err := rows.Scan(&e.Path, &e.Blob, &e.Size, &e.Mode, &e.GitOID); err != nil {
			return nil, err
		}
		rest := e.Path[len(l.prefix):]
		i := strings.IndexByte(rest, '/')
		if l.recursive || i < 0 {
			b.entries, b.starts = append(b.entries, e), append(b.starts, e.Path)
			continue
		}
		dir := l.prefix + rest[:i]
		b.entries = append(b.entries, &ferry.TreeEntry{Path: dir, Type: ferry.EntryDir})
		b.starts = append(b.starts, dir+"/")
		b.next, b.metDir = dir+"0", true // '0' follows '/': the first path past dir's rows
		return b, rows.Err()
	}
	if count == n {
		b.next = b.entries[len(b.entries)-1].Path + "\x01" // no path lies between p and p+"\x01"
	}
	return b, rows.Err()
}

func itoa64(n int64) string { return itoa(int(n)) }

// ReadBlobs calls fn with the content of each blob in ids, in batches of one query each.
func (db *DB) ReadBlobs(ctx context.Context, ids []string, fn func(id string, content []byte) error) error {
	const batch = 500
	for len(ids) > 0 {
		n := min(batch, len(ids))
		args := make([]any, n)
		marks := make([]string, n)
		for i, id := range ids[:n] {
			args[i], marks[i] = id, "$"+itoa(i+1)
		}
		ids = ids[n:]
		rows, err := db.read.QueryContext(ctx, `SELECT id, content FROM blobs WHERE id IN (`+strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var content []byte
			if err := rows.Scan(&id, &content); err != nil {
				rows.Close()
				return err
			}
			if err := fn(id, content); err != nil {
				rows.Close()
				return err
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}
