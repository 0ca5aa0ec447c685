package gitsync

import (
	"strings"

	"github.com/ferrygit/ferry"
)

// validate checks a tree before anything is read or written: every path stays inside the
// binding's directory and is one a namespace can hold, no two differ only by case, and the
// limits hold. Submodules are skipped with a warning. It returns the files to apply.
func (p *pull) validate(files []ferry.TreeFile) ([]ferry.TreeFile, error) {
	limits := p.limits()
	out := files[:0:0]
	folded := make(map[string]string, len(files))
	var total int64
	for _, f := range files {
		if f.Mode == ferry.ModeSubmodule {
			p.warn("%s is a submodule (commit %s); submodules are skipped", f.Path, short(f.OID))
			continue
		}
		nsPath := joinPath(p.b.Directory, f.Path)
		if err := ferry.ValidatePath(f.Path); err != nil {
			return nil, rejectf("The repository holds %q, which cannot be mirrored: %s", f.Path, ferry.ErrorMessage(err))
		}
		if err := ferry.ValidatePath(nsPath); err != nil {
			return nil, rejectf("The repository holds %q, which cannot be mirrored: %s", f.Path, ferry.ErrorMessage(err))
		}
		if err := f.Mode.Validate(); err != nil {
			return nil, rejectf("The repository holds %q with a mode Ferry cannot store: %s", f.Path, ferry.ErrorMessage(err))
		}
		// The path and each directory above it must not collide, by case, with another's.
		for prefix := f.Path; prefix != ""; prefix = parentOf(prefix) {
			key := strings.ToLower(prefix)
			if other, ok := folded[key]; ok && other != prefix {
				return nil, rejectf("The repository holds both %q and %q, which differ only by case; rename one of them.", other, prefix)
			} else if ok {
				break // this directory and those above it were checked already
			}
			folded[key] = prefix
		}
		if f.Size > limits.MaxFileSize {
			return nil, rejectf("%q is %s; the limit is %s a file.", f.Path, ferry.HumanBytes(f.Size), ferry.HumanBytes(limits.MaxFileSize))
		}
		total += f.Size
		out = append(out, f)
	}
	if len(out) > limits.MaxFiles {
		return nil, rejectf("The path holds %d files; the limit is %d.", len(out), limits.MaxFiles)
	}
	if total > limits.MaxTotalSize {
		return nil, rejectf("The path holds %s of files; the limit is %s.", ferry.HumanBytes(total), ferry.HumanBytes(limits.MaxTotalSize))
	}
	return out, nil
}

// parentOf returns the directory holding p, "" at the top.
func parentOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}
