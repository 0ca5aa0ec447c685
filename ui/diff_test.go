package ui

import (
	"strings"
	"testing"
)

func TestDiffLines(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"a\nb\nc", "a\nb\nc", "=a =b =c"},
		{"", "x\ny", "+x +y"},
		{"x\ny", "", "-x -y"},
		{"a\nb\nc", "a\nB\nc", "=a -b +B =c"},
		{"a\nb\nc\nd", "a\nc\nd\ne", "=a -b =c =d +e"},
	} {
		lines, ok := diffLines(splitLines([]byte(tc.a)), splitLines([]byte(tc.b)))
		var got []string
		for _, l := range lines {
			got = append(got, l.Op+l.Text)
		}
		if !ok || strings.Join(got, " ") != tc.want {
			t.Errorf("diff(%q, %q) = %v, want %s", tc.a, tc.b, got, tc.want)
		}
	}
	big := strings.Repeat("x\n", 3000)
	if _, ok := diffLines(splitLines([]byte(big)), splitLines([]byte(strings.Repeat("y\n", 3000)))); ok {
		t.Error("a 3000×3000 diff was not refused")
	}
}
