package ferry

import "testing"

func TestMatchGlob(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"**/*.entity.json", "a.entity.json", true},
		{"**/*.entity.json", "services/pay/a.entity.json", true},
		{"**/*.entity.json", "services/pay/a.json", false},
		{"*.entity.json", "services/a.entity.json", false},
		{"services/*/entity.yaml", "services/pay/entity.yaml", true},
		{"services/*/entity.yaml", "services/pay/x/entity.yaml", false},
		{"services/**", "services/pay/x/entity.yaml", true},
		{"services/**/e.yml", "services/e.yml", true},
		{"a/**/**/b", "a/x/y/b", true},
		{"?.json", "ab.json", false},
		{"[ab].json", "b.json", true},
	} {
		if err := ValidateGlob(tc.pattern); err != nil {
			t.Fatalf("ValidateGlob(%q): %v", tc.pattern, err)
		}
		if got := MatchGlob(tc.pattern, tc.name); got != tc.want {
			t.Errorf("MatchGlob(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
	for _, bad := range []string{"", "/abs/*.json", "a//b", "../x", "a/./b", "[.json"} {
		if ErrorCode(ValidateGlob(bad)) != EINVALID {
			t.Errorf("ValidateGlob(%q) accepted", bad)
		}
	}
}

func FuzzMatchGlob(f *testing.F) {
	f.Add("**/*.json", "a/b/c.json")
	f.Add("a/**/b/**", "a/b/b/b")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if ValidateGlob(pattern) != nil || len(pattern) > 64 || len(name) > 256 {
			return
		}
		MatchGlob(pattern, name) // must not panic or hang
		if MatchGlob(pattern, pattern) != MatchGlob(pattern, pattern) {
			t.Fatal("not deterministic")
		}
	})
}
