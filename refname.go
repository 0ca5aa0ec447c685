package ferry

import (
	"strings"
	"unicode/utf8"
)

// MaxRefNameLength is the longest branch or tag name, in bytes, that Ferry accepts.
const MaxRefNameLength = 255

// ValidateRefName returns EINVALID unless name is a valid branch or tag short name by Git's
// rules (git check-ref-format --branch): no space, control character, "..", any of ~^:?*[\,
// "@{" or "//"; not "@" or "HEAD"; no leading '-' or '/'; no trailing '/' or '.'; no
// component starting with '.' or ending with ".lock". Ferry is stricter than Git in three
// ways: the name must be valid UTF-8, at most MaxRefNameLength bytes, and not "@".
func ValidateRefName(name string) error {
	bad := func(rule string) error {
		return Errorf(EINVALID, "Ref name %q is not allowed: %s.", clip(strings.Map(printable, name)), rule)
	}
	switch {
	case name == "":
		return Errorf(EINVALID, "Ref name is required.")
	case len(name) > MaxRefNameLength:
		return Errorf(EINVALID, "Ref name is %d bytes long; at most %d are allowed.", len(name), MaxRefNameLength)
	case !utf8.ValidString(name):
		return bad("it is not valid UTF-8")
	case name == "@":
		return bad(`"@" alone means HEAD`)
	case name == "HEAD":
		return bad(`"HEAD" is reserved`)
	case strings.HasPrefix(name, "-"):
		return bad("it may not start with '-'")
	case strings.HasPrefix(name, "/"):
		return bad("it may not start with '/'")
	case strings.HasSuffix(name, "/"):
		return bad("it may not end with '/'")
	case strings.Contains(name, ".."):
		return bad("it may not contain '..'")
	case strings.HasSuffix(name, "."):
		return bad("it may not end with '.'")
	case strings.Contains(name, "//"):
		return bad("it may not contain '//'")
	case strings.Contains(name, "@{"):
		return bad("it may not contain '@{'")
	}
	for _, r := range name {
		switch {
		case r < 0x20 || r == 0x7f:
			return bad("it may not contain control characters")
		case r == ' ':
			return bad("it may not contain spaces")
		case strings.ContainsRune(`~^:?*[\`, r):
			return bad("it may not contain any of ~ ^ : ? * [ \\")
		}
	}
	for _, c := range strings.Split(name, "/") {
		switch {
		case strings.HasPrefix(c, "."):
			return bad("no part between slashes may start with '.'")
		case strings.HasSuffix(c, ".lock"):
			return bad(`no part between slashes may end with ".lock"`)
		}
	}
	return nil
}

// ValidateBranchRef returns EINVALID unless ref is a branch given as a short name ("main")
// or in full ("refs/heads/main") whose short name passes ValidateRefName.
func ValidateBranchRef(ref string) error {
	if name, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
		return ValidateRefName(name)
	}
	if strings.HasPrefix(ref, "refs/") {
		return Errorf(EINVALID, "Ref %q is not a branch; give a branch name such as \"main\" or \"refs/heads/main\".", clip(strings.Map(printable, ref)))
	}
	return ValidateRefName(ref)
}
