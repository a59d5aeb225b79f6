package ocr

import (
	"image"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// correctWords makes the corrections that are safe on Vietnamese text. A word that is not a
// valid syllable (IsSyllable) but carries two tone marks, and can be cut in exactly one place
// into two valid syllables, is two syllables whose space Tesseract lost ("lývà" → "lý" "và");
// it becomes two words, the box cut in proportion to the letters. Otherwise a word that is
// not a valid syllable takes the valid syllable that one of the LSTM's alternatives for one
// of its symbols makes (choices, keyed by word box; see fromChoices; nil unless
// Options.LSTMChoices). A word that is a valid
// syllable is never changed, nor junk, nor a word with other than letters in its core.
// It reports how many words were changed.
func correctWords(words []Word, choices map[image.Rectangle][][]choice) ([]Word, int) {
	changed := 0
	out := words[:0:0]
	for _, w := range words {
		if t, ok := fromChoices(w, choices[w.Box]); ok {
			w.Text = t
			changed++
		}
		if a, b, ok := splitFused(w); ok {
			out = append(out, a, b)
			changed++
			continue
		}
		out = append(out, w)
	}
	if changed == 0 {
		return words, 0
	}
	return out, changed
}

// splitFused cuts w into two words when its letters are two fused syllables (see correctWords).
func splitFused(w Word) (Word, Word, bool) {
	if w.Junk || tones(w.Text) != 2 {
		return Word{}, Word{}, false
	}
	lead, core, _ := splitPunct(w.Text)
	if core == "" || IsSyllable(core) || strings.IndexFunc(core, func(r rune) bool { return !unicode.IsLetter(r) }) >= 0 {
		return Word{}, Word{}, false
	}
	cut := -1
	for i := range core {
		if i == 0 {
			continue
		}
		if IsSyllable(core[:i]) && IsSyllable(core[i:]) {
			if cut >= 0 {
				return Word{}, Word{}, false // two ways to cut: no strong evidence for either
			}
			cut = i
		}
	}
	if cut < 0 {
		return Word{}, Word{}, false
	}
	left, right := w.Text[:lead+cut], w.Text[lead+cut:]
	n, k := utf8.RuneCountInString(w.Text), utf8.RuneCountInString(left)
	x := w.Box.Min.X + w.Box.Dx()*k/n
	a, b := w, w
	a.Text, a.Box = left, image.Rect(w.Box.Min.X, w.Box.Min.Y, x, w.Box.Max.Y)
	b.Text, b.Box = right, image.Rect(x, w.Box.Min.Y, w.Box.Max.X, w.Box.Max.Y)
	return a, b, true
}

// tones counts the tone marks (huyền, sắc, ngã, hỏi, nặng) in s.
func tones(s string) int {
	n := 0
	for _, r := range norm.NFD.String(s) {
		switch r {
		case toneGrave, toneAcute, toneTilde, toneHook, toneDot:
			n++
		}
	}
	return n
}

func isOpenPunct(r rune) bool  { return strings.ContainsRune("([\"'“‘", r) }
func isClosePunct(r rune) bool { return strings.ContainsRune(")]\"'”’.,;:!?", r) }

// splitPunct returns the lengths in bytes of the opening punctuation of s and of its closing
// punctuation, and the core between them.
func splitPunct(s string) (lead int, core string, trail int) {
	rest := strings.TrimLeftFunc(s, isOpenPunct)
	core = strings.TrimRightFunc(rest, isClosePunct)
	return len(s) - len(rest), core, len(rest) - len(core)
}
