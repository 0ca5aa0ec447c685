package ferry

import (
	"context"
	"time"
	"unicode/utf8"
)

// MaxMessageLength is the longest revision message, in bytes.
const MaxMessageLength = 64 << 10

// The sources of a revision.
const (
	SourceAPI     = "api"
	SourceRestore = "restore"
	SourcePull    = "pull"
)

// Revision is an immutable snapshot of a namespace. Every change makes one; Number counts
// them from 1 within the namespace.
type Revision struct {
	Namespace string    `json:"namespace"`
	Number    int64     `json:"id"`
	Parent    int64     `json:"parent"` // 0 for the first revision
	CreatedAt time.Time `json:"created_at"`
	Actor     string    `json:"actor"`
	Message   string    `json:"message"`
	Source    string    `json:"source"`            // api, restore, and later pull
	Commit    string    `json:"commit,omitempty"`  // the Git commit a pull applied
	Binding   string    `json:"binding,omitempty"` // the binding whose pull made it
	Added     int       `json:"added"`
	Modified  int       `json:"modified"`
	Deleted   int       `json:"deleted"`
}

// The actions a revision takes on a path.
const (
	ActionAdded    = "added"
	ActionModified = "modified"
	ActionDeleted  = "deleted"
)

// RevisionChange is one path a revision changed. For a deletion, Size, Blob and Mode describe
// the content that was removed.
type RevisionChange struct {
	Path   string `json:"path"`
	Action string `json:"action"`
	Size   int64  `json:"size"`
	Blob   string `json:"blob"`
	Mode   Mode   `json:"mode"`
}

// FileChange is one entry of a ChangeSet: write Content at Path with Mode, or delete Path.
type FileChange struct {
	Path    string
	Content []byte
	Mode    Mode // when empty: the file's current mode, or ModeFile for a new file
	Delete  bool
}

// ChangeSet is a batch of file changes applied as one revision, all or nothing.
type ChangeSet struct {
	Namespace string
	Base      int64 // when > 0, the revision the writer saw: ECONFLICT if the head has moved
	Actor     string
	Message   string
	Source    string
	Commit    string // the Git commit a pull applies
	Binding   string // the binding that pulls
	Changes   []FileChange
}

// Validate returns EINVALID for a change set that could never apply: no changes, a bad or
// repeated path, a bad mode, content over maxFileSize bytes, or an overlong message. It
// fills in the default source.
func (cs *ChangeSet) Validate(maxFileSize int64) error {
	if len(cs.Changes) == 0 {
		return Errorf(EINVALID, "A change needs at least one file.")
	}
	if len(cs.Message) > MaxMessageLength || !utf8.ValidString(cs.Message) {
		return Errorf(EINVALID, "Message must be valid UTF-8 of at most %d bytes.", MaxMessageLength)
	}
	if cs.Source == "" {
		cs.Source = SourceAPI
	}
	seen := make(map[string]bool, len(cs.Changes))
	for i := range cs.Changes {
		c := &cs.Changes[i]
		if err := ValidatePath(c.Path); err != nil {
			return err
		}
		if seen[c.Path] {
			return Errorf(EINVALID, "Path %q appears more than once in one change.", clip(c.Path))
		}
		seen[c.Path] = true
		if c.Delete {
			continue
		}
		if c.Mode != "" {
			if err := c.Mode.Validate(); err != nil {
				return err
			}
		}
		if int64(len(c.Content)) > maxFileSize {
			return Errorf(EINVALID, "File %q is %d bytes; the limit is %d bytes (%s).", clip(c.Path), len(c.Content), maxFileSize, HumanBytes(maxFileSize))
		}
	}
	return nil
}

// FileService stores versioned files.
type FileService interface {
	// ApplyChanges applies a validated change set as one new revision in one transaction,
	// writing only what changed. When nothing would change it returns the current head and
	// false. Returns ENOTFOUND for an unknown namespace or the deletion of a missing file,
	// ECONFLICT when Base is not the head or a file would sit where a directory is (or the
	// other way round).
	ApplyChanges(ctx context.Context, cs *ChangeSet) (*Revision, bool, error)

	// ReadFile returns the file at path with its content at revision rev (0: the newest).
	// Returns ENOTFOUND for an unknown namespace, revision or path.
	ReadFile(ctx context.Context, ns, path string, rev int64) (*File, error)

	// ListTree returns one page of the entries under a directory, ordered by path.
	// Returns ENOTFOUND for an unknown namespace, revision or directory.
	ListTree(ctx context.Context, ns string, q TreeQuery) ([]*TreeEntry, string, error)

	// ListRevisions returns one page of a namespace's revisions, newest first.
	// Returns ENOTFOUND for an unknown namespace.
	ListRevisions(ctx context.Context, ns string, page Page) ([]*Revision, string, error)

	// FindRevision returns revision number rev. Returns ENOTFOUND if it does not exist.
	FindRevision(ctx context.Context, ns string, rev int64) (*Revision, error)

	// ListRevisionChanges returns one page of the paths revision rev changed, ordered by path.
	// Returns ENOTFOUND if the revision does not exist.
	ListRevisionChanges(ctx context.Context, ns string, rev int64, page Page) ([]*RevisionChange, string, error)

	// RestoreRevision makes a new revision whose files equal those of revision rev. When the
	// head already equals it, it returns the head and false. Returns ENOTFOUND if the
	// revision does not exist.
	RestoreRevision(ctx context.Context, ns string, rev int64, actor, message string) (*Revision, bool, error)
}

// HumanBytes renders n bytes for a person: "10 MiB", "512 KiB", "37 bytes".
func HumanBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return itoa(n>>30) + " GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return itoa(n>>10) + " KiB"
	}
	return itoa(n) + " bytes"
}
