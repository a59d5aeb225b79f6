package fields

import (
	"image"
	"sort"
	"strings"
	"unicode"

	"github.com/sohoa-vn/sohoa/ocr"
)

// segment is a run of words on one visual row with no wide gap between them: one
// printed line of one column. It is built from word boxes alone, so it does not
// depend on the order in which the OCR engine returned the words.
type segment struct {
	words []ocr.Word
	box   image.Rectangle
	text  string
	conf  float64 // mean word confidence, 0..100
}

func (s segment) cx() int { return (s.box.Min.X + s.box.Max.X) / 2 }
func (s segment) h() int  { return s.box.Dy() }

// segments groups words into rows by their vertical centres, then splits each row
// where the gap between two words is wider than gapFactor × the row's height.
func segments(words []ocr.Word) []segment {
	ws := make([]ocr.Word, 0, len(words))
	for _, w := range words {
		if strings.TrimSpace(w.Text) != "" && !w.Box.Empty() {
			ws = append(ws, w)
		}
	}
	sort.SliceStable(ws, func(i, j int) bool { return cy(ws[i]) < cy(ws[j]) })
	type row struct {
		words    []ocr.Word
		top, bot int
	}
	var rows []*row
	for _, w := range ws {
		var best *row
		for i := len(rows) - 1; i >= 0 && i >= len(rows)-4; i-- {
			r := rows[i]
			h := r.bot - r.top
			if wh := w.Box.Dy(); wh > h {
				h = wh
			}
			c := cy(w)
			rc := (r.top + r.bot) / 2
			if abs(c-rc)*2 < h*6/10 {
				best = r
				break
			}
		}
		if best == nil {
			best = &row{top: w.Box.Min.Y, bot: w.Box.Max.Y}
			rows = append(rows, best)
		}
		best.words = append(best.words, w)
		if len(best.words) > 1 {
			// Keep the row's extent to the median word, so tall junk does not swallow rows.
			best.top, best.bot = medianExtent(best.words)
		}
	}
	var out []segment
	for _, r := range rows {
		sort.Slice(r.words, func(i, j int) bool { return r.words[i].Box.Min.X < r.words[j].Box.Min.X })
		h := r.bot - r.top
		start := 0
		for i := 1; i <= len(r.words); i++ {
			if i == len(r.words) || r.words[i].Box.Min.X-r.words[i-1].Box.Max.X > h*3/2 {
				out = append(out, makeSegment(r.words[start:i]))
				start = i
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if abs(out[i].box.Min.Y-out[j].box.Min.Y) > min(out[i].h(), out[j].h())/2 {
			return out[i].box.Min.Y < out[j].box.Min.Y
		}
		return out[i].box.Min.X < out[j].box.Min.X
	})
	return out
}

func makeSegment(ws []ocr.Word) segment {
	s := segment{words: append([]ocr.Word(nil), ws...), box: ws[0].Box}
	texts := make([]string, len(ws))
	for i, w := range ws {
		s.box = s.box.Union(w.Box)
		texts[i] = w.Text
		s.conf += w.Confidence
	}
	s.conf /= float64(len(ws))
	s.text = strings.Join(texts, " ")
	return s
}

func medianExtent(ws []ocr.Word) (int, int) {
	tops := make([]int, len(ws))
	bots := make([]int, len(ws))
	for i, w := range ws {
		tops[i], bots[i] = w.Box.Min.Y, w.Box.Max.Y
	}
	sort.Ints(tops)
	sort.Ints(bots)
	return tops[len(tops)/2], bots[len(bots)/2]
}

func cy(w ocr.Word) int { return (w.Box.Min.Y + w.Box.Max.Y) / 2 }

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// upperShare is the share of upper-case letters among the letters of s (0 when it has none).
func upperShare(s string) float64 {
	var letters, upper int
	for _, r := range s {
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	if letters == 0 {
		return 0
	}
	return float64(upper) / float64(letters)
}

// trimJunk removes tokens without a letter or digit from both ends of s, and stray
// punctuation stuck to its ends.
func trimJunk(s string) string {
	toks := strings.Fields(s)
	isWord := func(t string) bool {
		n := 0
		for _, r := range t {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				n++
			}
		}
		return n > 0 && !(n == 1 && len([]rune(t)) > 1 && !unicode.IsLetter([]rune(t)[0]) && !unicode.IsDigit([]rune(t)[0]))
	}
	for len(toks) > 0 && !isWord(toks[0]) {
		toks = toks[1:]
	}
	for len(toks) > 0 && !isWord(toks[len(toks)-1]) {
		toks = toks[:len(toks)-1]
	}
	out := strings.Join(toks, " ")
	return strings.TrimFunc(out, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != ')' && r != '"' && r != '”'
	})
}

func isLetter(r rune) bool { return unicode.IsLetter(r) }
func isUpper(r rune) bool  { return unicode.IsUpper(r) }
