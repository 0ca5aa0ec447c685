package gitsync

import "testing"

func TestAuthorName(t *testing.T) {
	for actor, want := range map[string]string{
		"user:ada":     "ada",
		"token:12":     "Ferry token 12",
		"admin":        "admin",
		"Ada Lovelace": "Ada Lovelace",
	} {
		if got := authorName(actor); got != want {
			t.Errorf("authorName(%q) = %q, want %q", actor, got, want)
		}
	}
}
