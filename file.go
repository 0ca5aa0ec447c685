package ferry

import (
	"strings"
	"unicode/utf8"
)

// MaxPathLength is the longest file path, in bytes, that a namespace accepts.
const MaxPathLength = 4096

// DefaultMaxFileSize is the default limit on one file's content: 10 MiB.
const DefaultMaxFileSize = 10 << 20

// Mode is a file's kind as Git records it.
type Mode string

// The modes a file may have.
const (
	ModeFile       Mode = "file"       // a regular file, Git's 100644
	ModeExecutable Mode = "executable" // an executable file, Git's 100755
	ModeSymlink    Mode = "symlink"    // a symbolic link whose content is its target, Git's 120000
)

// Validate returns EINVALID unless m is one of the known modes.
func (m Mode) Validate() error {
	switch m {
	case ModeFile, ModeExecutable, ModeSymlink:
		return nil
	}
	return Errorf(EINVALID, "Mode %q is not one of file, executable, symlink.", clip(string(m)))
}

// File is a path in a namespace at one revision: its content (a blob) and mode.
type File struct {
	Path     string `json:"path"`
	Size     int64  `json:"size"`
	Blob     string `json:"blob"` // SHA-256 of the content, hex
	Mode     Mode   `json:"mode"`
	Revision int64  `json:"revision"` // the revision that wrote this content
	Content  []byte `json:"-"`
}

// ValidatePath returns EINVALID unless p is a clean relative path: no leading or trailing
// '/', no empty, '.' or '..' segments, no '.git' segment, valid UTF-8 without control
// characters, at most MaxPathLength bytes.
func ValidatePath(p string) error {
	switch {
	case p == "":
		return Errorf(EINVALID, "Path is required.")
	case len(p) > MaxPathLength:
		return Errorf(EINVALID, "Path %q is %d bytes long; at most %d are allowed.", clip(p), len(p), MaxPathLength)
	case !utf8.ValidString(p):
		return Errorf(EINVALID, "Path %q is not valid UTF-8.", clip(strings.ToValidUTF8(p, "?")))
	case strings.HasPrefix(p, "/"):
		return Errorf(EINVALID, "Path %q is absolute; give it relative to the namespace root, without a leading '/'.", clip(p))
	case strings.HasSuffix(p, "/"):
		return Errorf(EINVALID, "Path %q ends with '/'; a file path names a file, not a directory.", clip(p))
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return Errorf(EINVALID, "Path %q contains a control character (such as NUL or a newline).", clip(strings.Map(printable, p)))
		}
	}
	for _, seg := range strings.Split(p, "/") {
		switch {
		case seg == "":
			return Errorf(EINVALID, "Path %q has an empty segment ('//').", clip(p))
		case seg == "." || seg == "..":
			return Errorf(EINVALID, "Path %q contains a %q segment; paths may not step outside or around directories.", clip(p), seg)
		case strings.EqualFold(seg, ".git"):
			return Errorf(EINVALID, "Path %q contains a '.git' segment, which Git reserves.", clip(p))
		}
	}
	return nil
}

// ValidateDir returns EINVALID unless dir is "" (the root) or a valid path.
func ValidateDir(dir string) error {
	if dir == "" {
		return nil
	}
	return ValidatePath(dir)
}

// CleanDir turns a user's directory spelling ("/", "/a/b/", "a/b") into the stored form
// ("", "a/b"), which ValidateDir then checks.
func CleanDir(dir string) string { return strings.Trim(dir, "/") }

func printable(r rune) rune {
	if r < 0x20 || r == 0x7f {
		return '?'
	}
	return r
}

// EntryType tells a tree entry's kind.
type EntryType string

// The kinds of tree entries.
const (
	EntryFile EntryType = "file"
	EntryDir  EntryType = "dir"
)

// TreeEntry is one entry of a directory listing. Directories carry only Path and Type.
type TreeEntry struct {
	Path string    `json:"path"`
	Type EntryType `json:"type"`
	Size int64     `json:"size,omitempty"`
	Blob string    `json:"blob,omitempty"`
	Mode Mode      `json:"mode,omitempty"`
	// GitOID is the ID Git gives the content, so a tree can be compared with a commit's
	// without reading blobs; "" for content written before Ferry recorded it.
	GitOID string `json:"git_oid,omitempty"`
}

// TreeQuery selects the entries under a directory at a revision.
type TreeQuery struct {
	Dir       string // "" for the root
	Recursive bool   // all files below Dir instead of its direct children
	Revision  int64  // 0 for the newest
	Page      Page
}
