package pdfa

import (
	"bytes"
	"compress/zlib"
	_ "embed"
	"fmt"
	"image"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"
)

// glyphLessFont is Tesseract's "GlyphLessFont": a TrueType font with a single
// empty glyph (GID 1) 500/1000 em wide, used to lay invisible OCR text over a
// page image. Copied from Debian's libtesseract5
// (/usr/share/tesseract-ocr/5/tessdata/pdf.ttf), Copyright Google Inc.,
// Apache License 2.0 (https://github.com/tesseract-ocr/tesseract).
//
//go:embed pdf.ttf
var glyphLessFont []byte

const (
	glyphWidth = 500 // width of every CID in 1/1000 em, as in pdf.ttf (1024 of 2048 units)

	// minWordGap is the least gap left between two words of a line, as a
	// fraction of the font size. pdftotext joins words closer than 0.03 em.
	minWordGap = 0.1
)

// Word is one word of the invisible text layer, placed on its box.
type Word struct {
	Text string          // NFC
	Box  image.Rectangle // pixels of the page image, origin top-left
}

// textWord is a word ready to be shown: its CIDs and its box in pixels.
type textWord struct {
	cids []uint16
	box  image.Rectangle
}

// wordCIDs returns the CIDs of a word's text: its UTF-16 code units after NFC
// normalization. Leading and trailing white space and control characters are
// dropped and inner white space becomes one space; characters outside the
// Basic Multilingual Plane become U+FFFD, since a lone surrogate code cannot
// be mapped back to Unicode.
func wordCIDs(s string) []uint16 {
	s = strings.Join(strings.FieldsFunc(norm.NFC.String(s), unicode.IsSpace), " ")
	var rs []rune
	for _, r := range s {
		switch {
		case unicode.IsControl(r) || r == 0xFEFF || r == 0xFFFE || r == 0xFFFF:
			continue
		case r > 0xFFFF || utf16.IsSurrogate(r):
			r = unicode.ReplacementChar
		}
		rs = append(rs, r)
	}
	return utf16.Encode(rs)
}

// textLines turns a page's words into lines of shown words, dropping words
// with no text or no area inside the image. A new line starts where lines
// changes value or, when lines is nil, where a word starts left of the
// previous one or does not overlap it vertically by half the smaller height.
func textLines(words []Word, lines []int, bounds image.Rectangle) [][]textWord {
	var out [][]textWord
	var cur []textWord
	prevLine := 0
	var prevBox image.Rectangle
	for i, w := range words {
		cids := wordCIDs(w.Text)
		box := w.Box.Canon().Intersect(bounds)
		if len(cids) == 0 || box.Empty() {
			continue
		}
		newLine := len(cur) > 0
		if newLine {
			if lines != nil {
				newLine = lines[i] != prevLine
			} else {
				ov := min(box.Max.Y, prevBox.Max.Y) - max(box.Min.Y, prevBox.Min.Y)
				newLine = box.Min.X < prevBox.Min.X || 2*ov < min(box.Dy(), prevBox.Dy())
			}
		}
		if newLine {
			out = append(out, cur)
			cur = nil
		}
		cur = append(cur, textWord{cids: cids, box: box})
		if lines != nil {
			prevLine = lines[i]
		}
		prevBox = box
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// median returns the median of v (the lower middle for an even count); v is reordered.
func median(v []int) int {
	slices.Sort(v)
	return v[(len(v)-1)/2]
}

// num formats v for a content stream with at most three decimals.
func num(v float64) string {
	v = math.Round(v*1000) / 1000
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// writeText appends the invisible text layer of a page to the content stream b.
// Every line gets one font size and baseline, from the median top and bottom
// of its word boxes, so that text extractors keep the line together; each
// word starts at its box's left edge and is stretched horizontally (Tz) to its
// box's width; a space glyph fills the gap to the next word. sx and sy are
// points per pixel, pageH the page height in points.
func writeText(b *bytes.Buffer, lines [][]textWord, sx, sy, pageH float64) {
	if len(lines) == 0 {
		return
	}
	b.WriteString("BT\n3 Tr\n")
	tops, bottoms := []int{}, []int{}
	for _, line := range lines {
		tops, bottoms = tops[:0], bottoms[:0]
		for _, w := range line {
			tops = append(tops, w.box.Min.Y)
			bottoms = append(bottoms, w.box.Max.Y)
		}
		top, bottom := median(tops), median(bottoms)
		if bottom <= top {
			bottom = top + 1
		}
		fs := float64(bottom-top) * sy
		base := pageH - float64(bottom)*sy
		fmt.Fprintf(b, "/F0 %s Tf\n", num(fs))
		em := glyphWidth / 1000.0 * fs // advance of one glyph at 100% scaling
		for i, w := range line {
			x0 := float64(w.box.Min.X) * sx
			x1 := float64(w.box.Max.X) * sx
			var next float64
			last := i == len(line)-1
			if !last {
				next = float64(line[i+1].box.Min.X) * sx
				// Keep a visible gap so that the words are never joined.
				x1 = max(min(x1, next-minWordGap*fs), x0+(x1-x0)/4)
			}
			fmt.Fprintf(b, "1 0 0 1 %s %s Tm\n", num(x0), num(base))
			fmt.Fprintf(b, "%s Tz\n", num(100*(x1-x0)/(em*float64(len(w.cids)))))
			b.WriteByte('<')
			for _, c := range w.cids {
				fmt.Fprintf(b, "%04X", c)
			}
			b.WriteString("> Tj\n")
			if !last {
				gap := max(next-x1, 0.01*fs)
				fmt.Fprintf(b, "%s Tz\n<0020> Tj\n", num(100*gap/em))
			}
		}
	}
	b.WriteString("ET\n")
}

// toUnicodeCMap returns the ToUnicode CMap mapping every used CID (a UTF-16
// code unit of the BMP) back to its character.
func toUnicodeCMap(used map[uint16]bool) []byte {
	cids := make([]uint16, 0, len(used))
	for c := range used {
		cids = append(cids, c)
	}
	slices.Sort(cids)
	var b strings.Builder
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n")
	b.WriteString("/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n")
	b.WriteString("/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n")
	b.WriteString("1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	for len(cids) > 0 {
		n := min(len(cids), 100)
		fmt.Fprintf(&b, "%d beginbfchar\n", n)
		for _, c := range cids[:n] {
			fmt.Fprintf(&b, "<%04X> <%04X>\n", c, c)
		}
		b.WriteString("endbfchar\n")
		cids = cids[n:]
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return []byte(b.String())
}

// cidToGIDMap returns the zlib-compressed CIDToGIDMap sending every CID to glyph 1.
func cidToGIDMap() ([]byte, error) {
	m := make([]byte, 2*65536)
	for i := 1; i < len(m); i += 2 {
		m[i] = 1
	}
	return deflate(m)
}

// deflate compresses b with zlib for /FlateDecode.
func deflate(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
