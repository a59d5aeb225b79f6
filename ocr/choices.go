package ocr

/*
#cgo LDFLAGS: -ltesseract
#include <stdlib.h>
#include <tesseract/capi.h>
*/
import "C"

import (
	"image"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// choice is one alternative Tesseract's LSTM recogniser offered for a symbol of a word.
type choice struct {
	text string
	conf float64
}

// wordChoices returns, for every word of the last recognition by api, keyed by its box, the
// alternatives for each of its symbols, best first (Tesseract variable lstm_choice_mode 2).
func wordChoices(api *C.TessBaseAPI) map[image.Rectangle][][]choice {
	if api == nil {
		return nil
	}
	it := C.TessBaseAPIGetIterator(api)
	if it == nil {
		return nil
	}
	defer C.TessResultIteratorDelete(it)
	pit := C.TessResultIteratorGetPageIterator(it)
	out := map[image.Rectangle][][]choice{}
	var box image.Rectangle
	for {
		if C.TessPageIteratorIsAtBeginningOf(pit, C.RIL_WORD) != 0 {
			var l, t, r, b C.int
			C.TessPageIteratorBoundingBox(pit, C.RIL_WORD, &l, &t, &r, &b)
			box = image.Rect(int(l), int(t), int(r), int(b))
		}
		var alts []choice
		if ci := C.TessResultIteratorGetChoiceIterator(it); ci != nil {
			for {
				if p := C.TessChoiceIteratorGetUTF8Text(ci); p != nil {
					alts = append(alts, choice{norm.NFC.String(C.GoString(p)), float64(C.TessChoiceIteratorConfidence(ci))})
				}
				if C.TessChoiceIteratorNext(ci) == 0 {
					break
				}
			}
			C.TessChoiceIteratorDelete(ci)
		}
		out[box] = append(out[box], alts)
		if C.TessResultIteratorNext(it, C.RIL_SYMBOL) == 0 {
			break
		}
	}
	return out
}

// fromChoices returns the valid syllable closest to w among those made by replacing one
// symbol of w by one of the LSTM's alternatives for it, the most confident alternative
// first; ok is false when w is a valid syllable already, is not letters only, or no
// alternative makes it one.
func fromChoices(w Word, syms [][]choice) (string, bool) {
	if w.Junk || len(syms) == 0 {
		return "", false
	}
	lead, core, trail := splitPunct(w.Text)
	if core == "" || IsSyllable(core) || !letters(core) {
		return "", false
	}
	var top strings.Builder
	for _, s := range syms {
		if len(s) == 0 {
			return "", false
		}
		top.WriteString(s[0].text)
	}
	if norm.NFC.String(top.String()) != w.Text {
		return "", false // the symbols do not spell the word: no safe mapping
	}
	best, bestConf := "", -1.0
	for i, s := range syms {
		for _, alt := range s[1:] {
			if alt.conf <= bestConf {
				continue
			}
			var b strings.Builder
			for j, t := range syms {
				if j == i {
					b.WriteString(alt.text)
				} else {
					b.WriteString(t[0].text)
				}
			}
			cand := norm.NFC.String(b.String())
			if l, c, t := splitPunct(cand); l == lead && t == trail && IsSyllable(c) {
				best, bestConf = cand, alt.conf
			}
		}
	}
	return best, best != ""
}

// letters reports whether s is letters only.
func letters(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }) < 0
}

// shiftChoices moves the boxes of m by d.
func shiftChoices(m map[image.Rectangle][][]choice, d image.Point) map[image.Rectangle][][]choice {
	if d == (image.Point{}) || m == nil {
		return m
	}
	out := make(map[image.Rectangle][][]choice, len(m))
	for k, v := range m {
		out[k.Add(d)] = v
	}
	return out
}
