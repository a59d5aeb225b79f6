package ocr

import (
	"image"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// correctWords makes the corrections that are safe on Vietnamese text: a word that is not a
// valid syllable (IsSyllable) but carries two tone marks, and can be cut in exactly one place
// into two valid syllables, is two syllables whose space Tesseract lost ("lývà" → "lý" "và");
// it becomes two words, the box cut in proportion to the letters. A word that is a valid
// syllable is never changed, nor junk, nor a word with other than letters in its core.
// It reports how many words were changed.
func correctWords(words []Word) ([]Word, int) {
	changed := 0
	out := words[:0:0]
	for _, w := range words {
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
	lead := len(w.Text) - len(strings.TrimLeftFunc(w.Text, isOpenPunct))
	trail := len(w.Text) - len(strings.TrimRightFunc(w.Text, isClosePunct))
	core := w.Text[lead : len(w.Text)-trail]
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
