package git

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ferrygit/ferry"
)

// MaxBlobSize is the largest blob ReadBlobs reads into memory.
const MaxBlobSize = 256 << 20

// ReadTree implements ferry.GitEngine with git ls-tree -r -l -z.
func (e *Engine) ReadTree(ctx context.Context, u *ferry.RemoteURL, commit, dir string) ([]ferry.TreeFile, error) {
	start := time.Now()
	if !isOID(commit) {
		return nil, ferry.Errorf(ferry.EINVALID, "Commit %q is not a full object ID.", commit)
	}
	if err := ferry.ValidateDir(dir); err != nil {
		return nil, err
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	files, err := e.readTree(ctx, u, commit, dir)
	if err = e.finish(ctx, "read-tree", u, start, err); err != nil {
		return nil, err
	}
	return files, nil
}

func (e *Engine) readTree(ctx context.Context, u *ferry.RemoteURL, commit, dir string) ([]ferry.TreeFile, error) {
	cache, unlock := e.lock(u)
	defer unlock()
	if !cacheExists(cache) {
		return nil, gitErr(ferry.ReasonRefNotFound, "Commit "+commit+" has not been fetched.")
	}
	treeish := commit + "^{tree}"
	if dir != "" {
		treeish = commit + ":" + dir
	}
	out, err := e.run.run(ctx, &gitCmd{dir: cache, args: []string{"ls-tree", "-r", "-l", "-z", treeish}})
	if err != nil {
		return nil, e.treeError(ctx, cache, commit, dir, err)
	}
	return parseLsTree(out)
}

// treeError explains why ls-tree failed.
func (e *Engine) treeError(ctx context.Context, cache, commit, dir string, err error) error {
	var re *runError
	if !errors.As(err, &re) {
		return err
	}
	switch {
	case strings.Contains(re.stderr, "not a tree object"):
		return gitErr(ferry.ReasonPathNotFound, fmt.Sprintf("%q is a file at commit %s, not a directory.", dir, commit))
	case strings.Contains(re.stderr, "promisor") || strings.Contains(re.stderr, "unable to read") || strings.Contains(re.stderr, "does not appear to be a git repository"):
		return gitErr(ferry.ReasonFailed, fmt.Sprintf("The files under %q at commit %s were not fetched.", dir, commit))
	}
	if !e.hasCommit(ctx, cache, commit) {
		return gitErr(ferry.ReasonRefNotFound, "Commit "+commit+" has not been fetched.")
	}
	if strings.Contains(re.stderr, "Not a valid object name") {
		return gitErr(ferry.ReasonPathNotFound, fmt.Sprintf("There is no directory %q at commit %s.", dir, commit))
	}
	return localFailure("Reading the tree", err)
}

// hasCommit reports whether the cache holds commit, without fetching it.
func (e *Engine) hasCommit(ctx context.Context, cache, commit string) bool {
	_, err := e.run.run(ctx, &gitCmd{dir: cache, args: []string{"rev-list", "--no-walk", "--missing=print", "--end-of-options", commit}})
	return err == nil
}

func cacheExists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "HEAD"))
	return err == nil
}

// parseLsTree parses "mode SP type SP oid SP+ size TAB path NUL" records.
func parseLsTree(out []byte) ([]ferry.TreeFile, error) {
	files := make([]ferry.TreeFile, 0, bytes.Count(out, []byte{0}))
	for len(out) > 0 {
		rec, rest, ok := bytes.Cut(out, []byte{0})
		if !ok {
			return nil, gitErr(ferry.ReasonFailed, "git ls-tree printed a truncated record.")
		}
		out = rest
		meta, path, ok := bytes.Cut(rec, []byte{'\t'})
		f := strings.Fields(string(meta))
		if !ok || len(f) != 4 {
			return nil, gitErr(ferry.ReasonFailed, "git ls-tree printed a malformed record.")
		}
		tf := ferry.TreeFile{Path: string(path), OID: f[2]}
		switch f[0] {
		case "100644", "100664":
			tf.Mode = ferry.ModeFile
		case "100755":
			tf.Mode = ferry.ModeExecutable
		case "120000":
			tf.Mode = ferry.ModeSymlink
		case "160000":
			tf.Mode = ferry.ModeSubmodule
		default:
			return nil, gitErr(ferry.ReasonFailed, "git ls-tree printed the unknown mode "+f[0]+".")
		}
		if tf.Mode != ferry.ModeSubmodule {
			n, err := strconv.ParseInt(f[3], 10, 64)
			if err != nil {
				return nil, gitErr(ferry.ReasonFailed, "git ls-tree printed a malformed size.")
			}
			tf.Size = n
		}
		files = append(files, tf)
	}
	return files, nil
}

// ReadBlobs implements ferry.GitEngine with one git cat-file --batch process for all oids.
func (e *Engine) ReadBlobs(ctx context.Context, u *ferry.RemoteURL, oids []string, fn func(oid string, content []byte) error) error {
	start := time.Now()
	for _, oid := range oids {
		if !isOID(oid) {
			return ferry.Errorf(ferry.EINVALID, "Blob %q is not a full object ID.", oid)
		}
	}
	if len(oids) == 0 {
		return nil
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	err := e.readBlobs(ctx, u, oids, fn)
	var ge *ferry.GitError
	if err != nil && !errors.As(err, &ge) && !errors.Is(err, context.DeadlineExceeded) {
		return err // fn's own error, passed through as is
	}
	return e.finish(ctx, "read-blobs", u, start, err)
}

func (e *Engine) readBlobs(ctx context.Context, u *ferry.RemoteURL, oids []string, fn func(string, []byte) error) error {
	cache, unlock := e.lock(u)
	defer unlock()
	if !cacheExists(cache) {
		return gitErr(ferry.ReasonFailed, "Nothing has been fetched from "+u.Redacted()+".")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	defer pr.Close()
	var stdin bytes.Buffer
	stdin.Grow(len(oids) * 41)
	for _, oid := range oids {
		stdin.WriteString(oid + "\n")
	}
	done := make(chan error, 1)
	go func() {
		_, err := e.run.run(ctx, &gitCmd{dir: cache, args: []string{"cat-file", "--batch"}, stdin: &stdin, stdout: pw})
		pw.CloseWithError(err)
		done <- err
	}()
	err := readBatch(bufio.NewReaderSize(pr, 256<<10), oids, fn)
	if err != nil {
		cancel()
		pr.Close()
		<-done
		return err
	}
	if err := <-done; err != nil {
		return localFailure("Reading blobs", err)
	}
	return nil
}

// readBatch reads cat-file --batch output for oids, calling fn for each blob.
func readBatch(r *bufio.Reader, oids []string, fn func(string, []byte) error) error {
	var buf []byte
	for _, oid := range oids {
		header, err := r.ReadString('\n')
		if err != nil {
			return gitErr(ferry.ReasonFailed, "git cat-file stopped early: "+err.Error())
		}
		f := strings.Fields(header)
		if len(f) == 2 && f[1] == "missing" {
			return gitErr(ferry.ReasonFailed, "Blob "+oid+" is not in the cache; fetch its path first.")
		}
		if len(f) != 3 || f[0] != oid {
			return gitErr(ferry.ReasonFailed, "git cat-file printed an unexpected header.")
		}
		if f[1] != "blob" {
			return gitErr(ferry.ReasonFailed, "Object "+oid+" is a "+f[1]+", not a blob.")
		}
		size, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || size < 0 || size > MaxBlobSize {
			return gitErr(ferry.ReasonFailed, "Blob "+oid+" is too large or has a malformed size.")
		}
		if int64(cap(buf)) < size+1 {
			buf = make([]byte, size+1)
		}
		buf = buf[:size+1]
		if _, err := io.ReadFull(r, buf); err != nil {
			return gitErr(ferry.ReasonFailed, "git cat-file stopped early: "+err.Error())
		}
		if err := fn(oid, buf[:size]); err != nil {
			return err
		}
	}
	return nil
}
