package ocr

import (
	"image"
	"slices"
	"sort"
)

// Region is the part of an administrative page (Nghị định 30/2020/NĐ-CP, Phụ lục I) a word
// was read in.
type Region string

// Regions of a page, in reading order. A page without a two-column header or footer has only
// RegionBody.
const (
	RegionHeaderLeft  Region = "header-left"  // issuing body, "Số: …", "V/v …", KHẨN/MẬT
	RegionHeaderRight Region = "header-right" // national motto, place and date
	RegionBody        Region = "body"         // type name, subject, addressees, body
	RegionFooterLeft  Region = "footer-left"  // "Nơi nhận" and its list
	RegionFooterRight Region = "footer-right" // signer's authority, title and name
)

// Layout parameters, in multiples of the median word height (about the line height).
const (
	// columnGap is the smallest horizontal gap between two words of one Tesseract line that
	// separates two columns. Words of a sentence are about 0.3 heights apart, the header's
	// two blocks more than 2.
	columnGap = 1.0
	// centreBand is how far, as a share of the text width, a segment's centre may lie from
	// the centre of the text and still be centred (type name, subject, full body lines).
	centreBand = 0.12
	// minLayoutConfidence is the confidence under which a word does not count when the
	// bands are found (dust, seal rings and handwriting come out as such words).
	minLayoutConfidence = 40
)

// segment is a run of words of one Tesseract line with no column gap inside.
type segment struct {
	words []Word
	box   image.Rectangle
	side  int // -1 left of the centre, 0 centred or across, +1 right
}

// orderLayout puts the words of a page, in Tesseract's order, into reading order for an
// NĐ 30 page: the two-column header band (left block, then right block), the body in
// Tesseract's order, then the two-column footer band (left block, then right block).
//
// The header band is everything above the first centred segment, the footer band
// everything below the last one. Lines of those bands are cut where two words are further
// apart than columnGap line heights, and each piece goes to the column its centre is in.
// Words get their Region, Block and Paragraph (one block per header or footer column) and
// Line numbers in the new order. A page with no centred line, or without any word left or
// right of the centre above or below it, is returned in Tesseract's order with every word in
// RegionBody.
func orderLayout(words []Word) []Word {
	if len(words) == 0 {
		return words
	}
	segs := segments(words)
	left, right, ok := textExtent(segs)
	if !ok {
		return markBody(words)
	}
	centre, band := float64(left+right)/2, centreBand*float64(right-left)
	first, last := -1, -1 // top of the first and bottom of the last centred segment
	for i := range segs {
		s := &segs[i]
		cx := float64(s.box.Min.X+s.box.Max.X) / 2
		switch {
		case cx < centre-band && float64(s.box.Max.X) < centre+band:
			s.side = -1
		case cx > centre+band && float64(s.box.Min.X) > centre-band:
			s.side = 1
		}
		if s.side != 0 || !reliable(s.words) {
			continue
		}
		if first < 0 || s.box.Min.Y < first {
			first = s.box.Min.Y
		}
		last = max(last, s.box.Max.Y)
	}
	if first < 0 {
		return markBody(words)
	}
	var hl, hr, body, fl, fr []segment
	for _, s := range segs {
		cy := (s.box.Min.Y + s.box.Max.Y) / 2
		switch {
		case s.side == -1 && cy < first:
			hl = append(hl, s)
		case s.side == 1 && cy < first:
			hr = append(hr, s)
		case s.side == -1 && cy > last:
			fl = append(fl, s)
		case s.side == 1 && cy > last:
			fr = append(fr, s)
		default:
			body = append(body, s)
		}
	}
	out := make([]Word, 0, len(words))
	block, line := 0, 0
	column := func(r Region, segs []segment) {
		if len(segs) == 0 {
			return
		}
		sort.SliceStable(segs, func(i, j int) bool { return segs[i].box.Min.Y < segs[j].box.Min.Y })
		block++
		for _, s := range segs {
			line++
			for _, w := range s.words {
				w.Region, w.Block, w.Paragraph, w.Line = r, block, 1, line
				out = append(out, w)
			}
		}
	}
	column(RegionHeaderLeft, hl)
	column(RegionHeaderRight, hr)
	// The body keeps Tesseract's lines and paragraphs; segments of one line are joined again.
	prevBlock, prevPar, prevLine := -1, -1, -1
	for _, s := range body {
		for _, w := range s.words {
			if w.Block != prevBlock || w.Paragraph != prevPar {
				block++
			}
			if w.Block != prevBlock || w.Paragraph != prevPar || w.Line != prevLine {
				line++
			}
			prevBlock, prevPar, prevLine = w.Block, w.Paragraph, w.Line
			w.Region, w.Block, w.Line = RegionBody, block, line
			out = append(out, w)
		}
	}
	column(RegionFooterLeft, fl)
	column(RegionFooterRight, fr)
	return out
}

// markBody sets every word's Region to RegionBody.
func markBody(words []Word) []Word {
	for i := range words {
		words[i].Region = RegionBody
	}
	return words
}

// reliable reports whether a segment has a word recognised with some confidence and more
// than one character, so that it can mark where the body begins or ends.
func reliable(words []Word) bool {
	for _, w := range words {
		if w.Confidence >= minLayoutConfidence && len([]rune(w.Text)) > 1 {
			return true
		}
	}
	return false
}

// segments cuts Tesseract's lines where two consecutive words are more than columnGap
// median word heights apart.
func segments(words []Word) []segment {
	hs := make([]int, len(words))
	for i, w := range words {
		hs[i] = w.Box.Dy()
	}
	slices.Sort(hs)
	gap := int(columnGap * float64(max(hs[len(hs)/2], 1)))
	var segs []segment
	for i, w := range words {
		if i > 0 {
			p := words[i-1]
			same := w.Line == p.Line && w.Box.Min.X-p.Box.Max.X <= gap
			if same {
				s := &segs[len(segs)-1]
				s.words = append(s.words, w)
				s.box = s.box.Union(w.Box)
				continue
			}
		}
		segs = append(segs, segment{words: []Word{w}, box: w.Box})
	}
	return segs
}

// textExtent returns the left and right edges of the page's text: the 10th percentile of the
// left ends and the 90th percentile of the right ends of its reliable segments, so that a
// few stray marks in the margins do not move them.
func textExtent(segs []segment) (left, right int, ok bool) {
	var ls, rs []int
	for _, s := range segs {
		if reliable(s.words) {
			ls, rs = append(ls, s.box.Min.X), append(rs, s.box.Max.X)
		}
	}
	if len(ls) < 3 {
		return 0, 0, false
	}
	slices.Sort(ls)
	slices.Sort(rs)
	left, right = ls[len(ls)/10], rs[len(rs)-1-len(rs)/10]
	return left, right, right > left
}
