// Package accuracy measures OCR text against ground truth: character error
// rate over NFC text with whitespace folded.
package accuracy

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Fold returns s in NFC with every run of white space (including form feeds
// and line breaks) replaced by one space, trimmed.
func Fold(s string) string {
	return strings.Join(strings.Fields(norm.NFC.String(s)), " ")
}

// CER returns the character error rate of got against want: the Levenshtein
// distance between their folded forms, in runes, over the length of folded want.
// It is 0 when both are empty and 1 when only want is empty.
func CER(got, want string) float64 {
	g, w := []rune(Fold(got)), []rune(Fold(want))
	if len(w) == 0 {
		if len(g) == 0 {
			return 0
		}
		return 1
	}
	return float64(Distance(g, w)) / float64(len(w))
}

// Distance is the Levenshtein edit distance between a and b.
func Distance(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
