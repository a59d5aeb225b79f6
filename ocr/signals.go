package ocr

import (
	"strings"
	"unicode"
)

// Signals are measures of a page's OCR that track its errors better than the mean word
// confidence, which stays above 90 on pages with a fifth of their characters wrong.
type Signals struct {
	Words         int     // words in the text (junk left out)
	LowConfidence float64 // share of those words under LowWordConfidence
	Invalid       float64 // share of those words with letters that are neither a Vietnamese syllable nor an abbreviation
	Junk          int     // words left out as junk
}

// LowWordConfidence is the word confidence under which Signals counts a word as low.
const LowWordConfidence = 70

// Signals measures r.
func (r *Result) Signals() Signals {
	var s Signals
	var low, invalid int
	for _, w := range r.Words {
		if w.Junk {
			s.Junk++
			continue
		}
		s.Words++
		if w.Confidence < LowWordConfidence {
			low++
		}
		if hasLetter(w.Text) && !Plausible(w.Text) {
			invalid++
		}
	}
	if s.Words > 0 {
		s.LowConfidence = float64(low) / float64(s.Words)
		s.Invalid = float64(invalid) / float64(s.Words)
	}
	return s
}

// Thresholds of NeedsReview, set on the admin and older sample pages: every page with a
// character error rate under 1% stays under all three, 7 of the 8 pages over 1.5% exceed one.
const (
	ReviewLowConfidence = 0.01 // share of words under LowWordConfidence
	ReviewInvalid       = 0.015
	ReviewJunk          = 5
)

// NeedsReview reports whether the signals say the page's text is likely to have errors a
// person should look at.
func (s Signals) NeedsReview() bool {
	return s.LowConfidence >= ReviewLowConfidence || s.Invalid >= ReviewInvalid || s.Junk >= ReviewJunk
}

func hasLetter(s string) bool {
	return strings.IndexFunc(s, unicode.IsLetter) >= 0
}
