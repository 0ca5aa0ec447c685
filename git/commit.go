package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/ferrygit/ferry"
)

// stagingRef is the ref git fast-import writes commits to; it also keeps them from being
// collected before they are pushed.
const stagingRef = "refs/ferry/staging"

// CommitFiles implements ferry.GitEngine with one git fast-import process: it needs no work
// tree and writes all blobs, trees and the commit into one pack.
func (e *Engine) CommitFiles(ctx context.Context, u *ferry.RemoteURL, req ferry.CommitRequest) (string, error) {
	start := time.Now()
	stream, err := fastImportStream(req)
	if err != nil {
		return "", err
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	commit, err := e.commitFiles(ctx, u, req.Parent, stream)
	if err = e.finish(ctx, "commit", u, start, err); err != nil {
		return "", err
	}
	return commit, nil
}

func (e *Engine) commitFiles(ctx context.Context, u *ferry.RemoteURL, parent string, stream []byte) (string, error) {
	cache, unlock := e.lock(u)
	defer unlock()
	if err := e.ensureCache(ctx, cache); err != nil {
		return "", err
	}
	if parent != "" && !e.hasCommit(ctx, cache, parent) {
		return "", gitErr(ferry.ReasonRefNotFound, "The parent commit "+parent+" has not been fetched.")
	}
	out, err := e.run.run(ctx, &gitCmd{dir: cache, args: []string{"fast-import", "--quiet", "--force", "--cat-blob-fd=1", "--done"}, stdin: bytes.NewReader(stream)})
	if err != nil {
		return "", localFailure("Writing the commit", err)
	}
	commit := strings.TrimSpace(string(out))
	if !isOID(commit) {
		return "", gitErr(ferry.ReasonFailed, "git fast-import did not print the commit.")
	}
	if parent == "" {
		return commit, nil
	}
	out, err = e.run.run(ctx, &gitCmd{dir: cache, args: []string{"rev-parse", commit + "^{tree}", parent + "^{tree}"}})
	if err != nil {
		return "", localFailure("Comparing trees", err)
	}
	if trees := strings.Fields(string(out)); len(trees) == 2 && trees[0] == trees[1] {
		return parent, nil
	}
	return commit, nil
}

// fastImportStream validates req and renders it as a git fast-import stream that prints
// the new commit's ID.
func fastImportStream(req ferry.CommitRequest) ([]byte, error) {
	if req.Parent != "" && !isOID(req.Parent) {
		return nil, ferry.Errorf(ferry.EINVALID, "Parent %q is not a full commit ID.", req.Parent)
	}
	if err := ferry.ValidateDir(req.Dir); err != nil {
		return nil, err
	}
	committer := req.Committer
	if committer == (ferry.Signature{}) {
		committer = req.Author
	}
	author, err := ident(req.Author, "Author")
	if err != nil {
		return nil, err
	}
	comm, err := ident(committer, "Committer")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "commit %s\nmark :1\nauthor %s\ncommitter %s\ndata %d\n%s\n", stagingRef, author, comm, len(req.Message), req.Message)
	if req.Parent != "" {
		fmt.Fprintf(&b, "from %s\n", req.Parent)
	}
	seen := make(map[string]bool, len(req.Files))
	switch {
	case req.Patch:
		if req.Parent == "" {
			return nil, ferry.Errorf(ferry.EINVALID, "A patch commit needs a parent.")
		}
		for _, p := range req.Delete {
			if err := ferry.ValidatePath(p); err != nil {
				return nil, err
			}
			seen[p] = true
			full := p
			if req.Dir != "" {
				full = path.Join(req.Dir, p)
			}
			fmt.Fprintf(&b, "D %s\n", quotePath(full))
		}
	case req.Dir == "":
		b.WriteString("deleteall\n")
	default:
		fmt.Fprintf(&b, "D %s\n", quotePath(req.Dir))
	}
	for _, f := range req.Files {
		if err := ferry.ValidatePath(f.Path); err != nil {
			return nil, err
		}
		if seen[f.Path] {
			return nil, ferry.Errorf(ferry.EINVALID, "Path %q appears twice in the commit.", f.Path)
		}
		seen[f.Path] = true
		mode, err := gitMode(f.Mode)
		if err != nil {
			return nil, err
		}
		full := f.Path
		if req.Dir != "" {
			full = path.Join(req.Dir, f.Path)
		}
		fmt.Fprintf(&b, "M %s inline %s\ndata %d\n", mode, quotePath(full), len(f.Content))
		b.Write(f.Content)
		b.WriteString("\n")
	}
	b.WriteString("\nget-mark :1\ndone\n")
	return b.Bytes(), nil
}

// gitMode returns Git's octal mode for a namespace file mode.
func gitMode(m ferry.Mode) (string, error) {
	switch m {
	case ferry.ModeFile, "":
		return "100644", nil
	case ferry.ModeExecutable:
		return "100755", nil
	case ferry.ModeSymlink:
		return "120000", nil
	}
	return "", ferry.Errorf(ferry.EINVALID, "Mode %q cannot be committed; use file, executable or symlink.", m)
}

// quotePath quotes p in C style for fast-import (paths are validated: no control
// characters).
func quotePath(p string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(p) + `"`
}

// ident renders a signature as Git's "Name <email> seconds zone", refusing what would
// break the line.
func ident(s ferry.Signature, who string) (string, error) {
	if strings.TrimSpace(s.Name) == "" || strings.TrimSpace(s.Email) == "" {
		return "", ferry.Errorf(ferry.EINVALID, "%s needs a name and an email address.", who)
	}
	if strings.ContainsAny(s.Name+s.Email, "<>\n\r\x00") {
		return "", ferry.Errorf(ferry.EINVALID, "%s name and email may not contain '<', '>' or line breaks.", who)
	}
	when := s.When
	if when.IsZero() {
		when = time.Now()
	}
	return fmt.Sprintf("%s <%s> %d %s", strings.TrimSpace(s.Name), strings.TrimSpace(s.Email), when.Unix(), when.Format("-0700")), nil
}

// Tag implements ferry.GitEngine with git mktag.
func (e *Engine) Tag(ctx context.Context, u *ferry.RemoteURL, req ferry.TagRequest) (string, error) {
	start := time.Now()
	if err := ferry.ValidateRefName(req.Name); err != nil {
		return "", err
	}
	if !isOID(req.Commit) {
		return "", ferry.Errorf(ferry.EINVALID, "Commit %q is not a full object ID.", req.Commit)
	}
	tagger, err := ident(req.Tagger, "Tagger")
	if err != nil {
		return "", err
	}
	msg := req.Message
	if msg != "" && !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	body := fmt.Sprintf("object %s\ntype commit\ntag %s\ntagger %s\n\n%s", req.Commit, req.Name, tagger, msg)
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	oid, err := e.mktag(ctx, u, req.Commit, body)
	if err = e.finish(ctx, "tag", u, start, err); err != nil {
		return "", err
	}
	return oid, nil
}

func (e *Engine) mktag(ctx context.Context, u *ferry.RemoteURL, commit, body string) (string, error) {
	cache, unlock := e.lock(u)
	defer unlock()
	if !cacheExists(cache) || !e.hasCommit(ctx, cache, commit) {
		return "", gitErr(ferry.ReasonRefNotFound, "Commit "+commit+" has not been fetched or made.")
	}
	out, err := e.run.run(ctx, &gitCmd{dir: cache, args: []string{"mktag"}, stdin: strings.NewReader(body)})
	if err != nil {
		var re *runError
		if errors.As(err, &re) {
			return "", gitErr(ferry.ReasonFailed, "git mktag refused the tag."+detail(re.stderr))
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}
