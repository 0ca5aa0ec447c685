package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strconv"

	"github.com/ferrygit/ferry"
)

// liveView answers what a change needs to know of a namespace's head: the file at a path,
// and the files below a directory.
type liveView interface {
	get(ctx context.Context, path string) (liveFile, bool, error)
	descendants(ctx context.Context, dir string) ([]string, error)
}

// bulkThreshold is the change size from which reading the whole head once beats a query
// per path.
const bulkThreshold = 64

// newLiveView returns a view of ns's head for a change of n files.
func newLiveView(ctx context.Context, tx *Tx, ns *ferry.Namespace, n int) (liveView, error) {
	if ns.Head == 0 {
		return &mapView{files: map[string]liveFile{}}, nil
	}
	if n < bulkThreshold {
		return &queryView{tx: tx, ns: ns.ID}, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT path, blob_id, size, mode, git_oid FROM files WHERE namespace_id = $1 AND to_rev = $2 ORDER BY path`, ns.ID, live)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	v := &mapView{files: map[string]liveFile{}}
	for rows.Next() {
		var p string
		var f liveFile
		if err := rows.Scan(&p, &f.blob, &f.size, &f.mode, &f.gitOID); err != nil {
			return nil, err
		}
		v.files[p] = f
		v.paths = append(v.paths, p)
	}
	return v, rows.Err()
}

// mapView holds the whole head in memory; paths is sorted.
type mapView struct {
	files map[string]liveFile
	paths []string
}

func (v *mapView) get(_ context.Context, path string) (liveFile, bool, error) {
	f, ok := v.files[path]
	return f, ok, nil
}

func (v *mapView) descendants(_ context.Context, dir string) ([]string, error) {
	lo, hi := dir+"/", dir+"0" // '0' follows '/': every path below dir sorts between them
	i := sort.SearchStrings(v.paths, lo)
	var out []string
	for ; i < len(v.paths) && v.paths[i] < hi; i++ {
		out = append(out, v.paths[i])
	}
	return out, nil
}

// queryView asks the database, one indexed query at a time.
type queryView struct {
	tx *Tx
	ns int64
}

func (v *queryView) get(ctx context.Context, path string) (liveFile, bool, error) {
	var f liveFile
	err := v.tx.QueryRowContext(ctx, `SELECT blob_id, size, mode, git_oid FROM files WHERE namespace_id = $1 AND path = $2 AND to_rev = $3`,
		v.ns, path, live).Scan(&f.blob, &f.size, &f.mode, &f.gitOID)
	if errors.Is(err, sql.ErrNoRows) {
		return f, false, nil
	}
	return f, err == nil, err
}

func (v *queryView) descendants(ctx context.Context, dir string) ([]string, error) {
	rows, err := v.tx.QueryContext(ctx, `SELECT path FROM files WHERE namespace_id = $1 AND to_rev = $2 AND path >= $3 AND path < $4 ORDER BY path`,
		v.ns, live, dir+"/", dir+"0")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func itoa(n int) string { return strconv.Itoa(n) }
