package ui

import "strings"

// diffLine is one line of a unified view of two texts.
type diffLine struct {
	Op   string // "=", "+" or "-"
	Text string
}

// maxDiffCells bounds the work of one diff (lines before × lines after).
const maxDiffCells = 4_000_000

func splitLines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// diffLines returns a shortest line diff of a and b (longest common subsequence), with the
// common prefix and suffix taken off first. ok is false when the rest is too large.
func diffLines(a, b []string) ([]diffLine, bool) {
	var head, tail []diffLine
	for len(a) > 0 && len(b) > 0 && a[0] == b[0] {
		head = append(head, diffLine{"=", a[0]})
		a, b = a[1:], b[1:]
	}
	for len(a) > 0 && len(b) > 0 && a[len(a)-1] == b[len(b)-1] {
		tail = append([]diffLine{{"=", a[len(a)-1]}}, tail...)
		a, b = a[:len(a)-1], b[:len(b)-1]
	}
	if (len(a)+1)*(len(b)+1) > maxDiffCells {
		return nil, false
	}
	// lcs[i][j] is the length of the LCS of a[i:] and b[j:].
	w := len(b) + 1
	lcs := make([]int32, (len(a)+1)*w)
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	mid := make([]diffLine, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			mid = append(mid, diffLine{"=", a[i]})
			i, j = i+1, j+1
		case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
			mid = append(mid, diffLine{"-", a[i]})
			i++
		default:
			mid = append(mid, diffLine{"+", b[j]})
			j++
		}
	}
	for ; i < len(a); i++ {
		mid = append(mid, diffLine{"-", a[i]})
	}
	for ; j < len(b); j++ {
		mid = append(mid, diffLine{"+", b[j]})
	}
	return append(append(head, mid...), tail...), true
}
