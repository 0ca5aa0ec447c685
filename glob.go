package ferry

import (
	"path"
	"strings"
)

// ValidateGlob returns EINVALID unless pattern is a relative slash-separated glob: segments
// as path.Match reads them, or "**" for any number of directories.
func ValidateGlob(pattern string) error {
	if pattern == "" || len(pattern) > 1024 || strings.HasPrefix(pattern, "/") {
		return Errorf(EINVALID, "Glob %q is not valid: give a relative pattern such as **/*.entity.json or services/*/entity.yaml.", clip(pattern))
	}
	if strings.Count(pattern, "**") > 4 {
		return Errorf(EINVALID, "Glob %q has more than four '**'; use fewer.", clip(pattern))
	}
	for _, seg := range strings.Split(pattern, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return Errorf(EINVALID, "Glob %q has an empty, '.' or '..' segment.", clip(pattern))
		}
		if seg == "**" {
			continue
		}
		if _, err := path.Match(seg, ""); err != nil {
			return Errorf(EINVALID, "Glob %q is not valid: segment %q is malformed (check its brackets and escapes).", clip(pattern), seg)
		}
	}
	return nil
}

// MatchGlob reports whether the slash-separated path name matches pattern, which
// ValidateGlob accepts: "*" and "?" stay within a segment, "**" spans any number of them.
func MatchGlob(pattern, name string) bool {
	return matchSegments(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

func matchSegments(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for len(pat) > 1 && pat[1] == "**" {
				pat = pat[1:]
			}
			if len(pat) == 1 {
				return true
			}
			for i := range name {
				if matchSegments(pat[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

// EntitySpec says which files of a binding's repository hold catalog entities.
type EntitySpec struct {
	// Glob selects files by their path under the binding's directory: *.json files are read
	// as JSON, *.yaml and *.yml as YAML.
	Glob string `json:"glob"`
}
