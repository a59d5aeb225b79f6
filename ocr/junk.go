package ocr

import (
	"image"
	"slices"
	"strings"
	"unicode"
)

// Junk: what Tesseract makes of signatures, seals, stamps and handwritten notes.
//
// A word is junk, left out of the text but kept with its confidence (Word.Junk), when its
// confidence is below junkFloor (print read that badly is wrong anyway, and it is what
// Tesseract makes of signature tails and dust), or below junkConfidence and either
//   - its box is more than junkTall times as high as the page's median word (a signature
//     or a seal's ring read as one tall glyph), or
//   - its box lies on coloured ink found by the dropout (at least junkInkShare of its pixels
//     were red or blue ink before the dropout), or
//   - it is not plausible as printed text: neither a Vietnamese syllable, nor a number, nor an
//     abbreviation in capitals, nor punctuation of the kind printed documents use.
//
// Measured on the admin samples, printed words under this confidence are rare and half of
// them wrong anyway; junk words are almost all under it.
const (
	junkFloor      = 30
	junkConfidence = 50
	junkInkShare   = 0.01
	junkTall       = 3
	junkWords      = 3
	penShare       = 0.0005
)

// inkCell is the side, in pixels, of the cells in which an inkGrid counts ink pixels.
const inkCell = 8

// inkGrid counts the coloured ink pixels (before dropout) in cells of inkCell×inkCell pixels.
type inkGrid struct {
	origin image.Point
	w, h   int // cells
	n      []uint16
	blue   int // blue ink pixels on the whole page (pen: signatures, handwritten notes)
	pixels int // pixels on the page
}

func newInkGrid(b image.Rectangle) *inkGrid {
	w, h := (b.Dx()+inkCell-1)/inkCell, (b.Dy()+inkCell-1)/inkCell
	return &inkGrid{origin: b.Min, w: w, h: h, n: make([]uint16, w*h), pixels: b.Dx() * b.Dy()}
}

// add counts one ink pixel at x, y (relative to the grid's origin).
func (g *inkGrid) add(x, y int) { g.n[(y/inkCell)*g.w+x/inkCell]++ }

// share returns the share of ink pixels in r, counted over the cells r touches.
func (g *inkGrid) share(r image.Rectangle) float64 {
	if g == nil {
		return 0
	}
	r = r.Sub(g.origin)
	x0, y0 := max(r.Min.X/inkCell, 0), max(r.Min.Y/inkCell, 0)
	x1, y1 := min((r.Max.X+inkCell-1)/inkCell, g.w), min((r.Max.Y+inkCell-1)/inkCell, g.h)
	if x1 <= x0 || y1 <= y0 {
		return 0
	}
	var sum int
	for y := y0; y < y1; y++ {
		for _, v := range g.n[y*g.w+x0 : y*g.w+x1] {
			sum += int(v)
		}
	}
	return float64(sum) / float64((x1-x0)*(y1-y0)*inkCell*inkCell)
}

// markJunk sets Junk on the words that are junk (see junkConfidence) and reports whether the
// page has handwriting, a signature, a seal or a stamp where text was looked for: a junk word
// on coloured ink or taller than junkTall words, junkWords junk words or more, or blue pen
// ink (found by the dropout) on at least penShare of the page.
func markJunk(words []Word, ink *inkGrid) bool {
	if len(words) == 0 {
		return false
	}
	hs := make([]int, len(words))
	for i, w := range words {
		hs[i] = w.Box.Dy()
	}
	slices.Sort(hs)
	tall := junkTall * hs[len(hs)/2]
	n, marked := 0, false
	for i := range words {
		w := &words[i]
		if w.Confidence >= junkConfidence {
			continue
		}
		onInk, isTall := ink.share(w.Box) >= junkInkShare, w.Box.Dy() > tall
		if w.Confidence < junkFloor || onInk || isTall || !Plausible(w.Text) {
			w.Junk = true
			n++
			marked = marked || onInk || isTall
		}
	}
	pen := ink != nil && float64(ink.blue) >= penShare*float64(ink.pixels)
	return marked || pen || n >= junkWords
}

// Plausible reports whether a recognised word could be printed text of an administrative
// document: a Vietnamese syllable (see IsSyllable), a number or date, an abbreviation in
// capitals (UBND, QĐ-UBND, VH&TT), or punctuation such as "-", ":", "./.", possibly
// wrapped in brackets, quotes and followed by punctuation.
func Plausible(word string) bool {
	core := strings.TrimLeft(word, "([\"'“‘")
	core = strings.TrimRight(core, ")]\"'”’.,;:!?")
	if strings.Trim(core, "-–./") == "" {
		return strings.Trim(word, "-–.,;:/()") == ""
	}
	if IsSyllable(core) || isNumber(core) {
		return true
	}
	// Abbreviations and codes: capitals, digits and - / & . only, with at least two capitals.
	caps, other := 0, false
	for _, r := range core {
		switch {
		case unicode.IsUpper(r):
			caps++
		case unicode.IsDigit(r) || strings.ContainsRune("-/&.", r):
		default:
			other = true
		}
	}
	if caps >= 2 && !other {
		return true
	}
	// Words joined by - or / (Kế-hoạch, b/c): every part plausible or a single letter.
	if parts := strings.FieldsFunc(core, func(r rune) bool { return r == '-' || r == '/' }); len(parts) > 1 {
		for _, p := range parts {
			if len([]rune(p)) > 1 && !Plausible(p) || len([]rune(p)) == 1 && !unicode.IsLetter([]rune(p)[0]) {
				return false
			}
		}
		return true
	}
	return false
}

// isNumber reports whether s is digits with . , / - separators (1.273, 18,6, 1/12, 2023-2024).
func isNumber(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(".,/-", r):
		default:
			return false
		}
	}
	return digits > 0
}
