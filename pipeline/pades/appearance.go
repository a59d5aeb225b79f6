package pades

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa-vn/sohoa/pipeline/handover/font"
)

// Appearance text geometry, points.
const (
	fontSize = 10.0
	leading  = 12.0
	padding  = 2.0
)

// Corner names a corner of page 1 where the visible signature goes.
type Corner string

// Corners.
const (
	TopRight    Corner = "top-right"
	TopLeft     Corner = "top-left"
	BottomRight Corner = "bottom-right"
	BottomLeft  Corner = "bottom-left"
)

// Position places the visible signature on page 1: a box in the given corner
// (default top right, in the top margin), MarginX and MarginY points from
// the page's edges (defaults 10 mm and 5 mm), at most MaxWidth wide
// (default: 45% of the page width less MarginX; longer names wrap).
type Position struct {
	Corner           Corner  `yaml:"corner"`
	MarginX, MarginY float64 `yaml:"-"`
	MaxWidth         float64 `yaml:"-"`
}

func (p Position) withDefaults(pageW float64) Position {
	if p.Corner == "" {
		p.Corner = TopRight
	}
	if p.MarginX <= 0 {
		p.MarginX = 28.35
	}
	if p.MarginY <= 0 {
		p.MarginY = 14.17
	}
	if p.MaxWidth <= 0 {
		p.MaxWidth = 0.45*pageW - p.MarginX
	}
	return p
}

// appearance is a laid-out visible signature: its lines, the glyphs they use
// and the box.
type appearance struct {
	lines [][]uint16 // glyph ids (original font) per line
	text  []string
	w, h  float64
	font  *ttf
}

// layout breaks the lines to fit maxW and measures the box.
func layout(f *ttf, lines []string, maxW float64) (*appearance, error) {
	a := &appearance{font: f}
	for _, l := range lines {
		words := strings.Fields(l)
		cur := ""
		for _, w := range words {
			try := w
			if cur != "" {
				try = cur + " " + w
			}
			tw, err := a.measure(try)
			if err != nil {
				return nil, err
			}
			if tw+2*padding > maxW && cur != "" {
				a.text = append(a.text, cur)
				cur = w
				continue
			}
			cur = try
		}
		if cur != "" {
			a.text = append(a.text, cur)
		}
	}
	for _, l := range a.text {
		var gs []uint16
		for _, r := range l {
			g, err := f.glyph(r)
			if err != nil {
				return nil, err
			}
			gs = append(gs, g)
		}
		a.lines = append(a.lines, gs)
		tw, _ := a.measure(l)
		if tw+2*padding > a.w {
			a.w = tw + 2*padding
		}
	}
	a.h = float64(len(a.lines))*leading + 2*padding
	return a, nil
}

func (a *appearance) measure(s string) (float64, error) {
	sum := 0
	for _, r := range s {
		g, err := a.font.glyph(r)
		if err != nil {
			return 0, err
		}
		sum += a.font.width(g)
	}
	return float64(sum) * fontSize / 1000, nil
}

// rect returns the box on a page of the given size.
func (a *appearance) rect(p Position, pageW, pageH float64) [4]float64 {
	var x0, y0 float64
	switch p.Corner {
	case TopLeft:
		x0, y0 = p.MarginX, pageH-p.MarginY-a.h
	case BottomRight:
		x0, y0 = pageW-p.MarginX-a.w, p.MarginY
	case BottomLeft:
		x0, y0 = p.MarginX, p.MarginY
	default:
		x0, y0 = pageW-p.MarginX-a.w, pageH-p.MarginY-a.h
	}
	return [4]float64{x0, y0, x0 + a.w, y0 + a.h}
}

// write adds the font (an embedded Liberation Serif subset, Type0/Identity-H
// with ToUnicode, CIDSet and widths, as PDF/A asks) and the appearance form
// XObject to inc, and returns the form's object number.
func (a *appearance) write(inc *increment) (int, error) {
	var used []uint16
	for _, l := range a.lines {
		used = append(used, l...)
	}
	sub, ids, err := a.font.subset(used)
	if err != nil {
		return 0, err
	}
	uni := map[uint16]rune{}
	for i, l := range a.lines {
		rs := []rune(a.text[i])
		for j, g := range l {
			uni[ids[g]] = rs[j]
		}
	}
	n := len(sub)
	fileN, descN, setN, cidN, toUniN, fontN, formN := inc.alloc(), inc.alloc(), inc.alloc(), inc.alloc(), inc.alloc(), inc.alloc(), inc.alloc()
	z, err := deflate(sub)
	if err != nil {
		return 0, err
	}
	inc.stream(fileN, types.Dict{"Length1": types.Integer(n), "Filter": types.Name("FlateDecode")}, z)
	const name = "SOHOAA+LiberationSerif"
	scale := func(v int) types.Integer { return types.Integer(v * 1000 / a.font.unitsPerEm) }
	inc.object(descN, types.Dict{
		"Type":        types.Name("FontDescriptor"),
		"FontName":    types.Name(name),
		"Flags":       types.Integer(6), // serif, symbolic (glyphs by CID, not by a standard encoding)
		"FontBBox":    types.Array{scale(a.font.bbox[0]), scale(a.font.bbox[1]), scale(a.font.bbox[2]), scale(a.font.bbox[3])},
		"ItalicAngle": types.Integer(0),
		"Ascent":      scale(a.font.ascent),
		"Descent":     scale(a.font.descent),
		"CapHeight":   scale(a.font.ascent),
		"StemV":       types.Integer(80),
		"FontFile2":   ref(fileN),
		"CIDSet":      ref(setN),
	}.PDFString())
	maxCID := len(ids) - 1
	set := make([]byte, maxCID/8+1)
	for _, c := range ids {
		set[c/8] |= 0x80 >> (c % 8)
	}
	inc.stream(setN, types.Dict{}, set)
	byCID := make([]uint16, len(ids))
	for old, c := range ids {
		byCID[c] = old
	}
	w := types.Array{types.Integer(0), types.Array{}}
	for _, old := range byCID {
		w[1] = append(w[1].(types.Array), types.Integer(a.font.width(old)))
	}
	inc.object(cidN, types.Dict{
		"Type":     types.Name("Font"),
		"Subtype":  types.Name("CIDFontType2"),
		"BaseFont": types.Name(name),
		"CIDSystemInfo": types.Dict{
			"Registry":   types.StringLiteral("Adobe"),
			"Ordering":   types.StringLiteral("Identity"),
			"Supplement": types.Integer(0),
		},
		"FontDescriptor": ref(descN),
		"W":              w,
		"CIDToGIDMap":    types.Name("Identity"),
	}.PDFString())
	inc.stream(toUniN, types.Dict{}, toUnicode(uni))
	inc.object(fontN, types.Dict{
		"Type":            types.Name("Font"),
		"Subtype":         types.Name("Type0"),
		"BaseFont":        types.Name(name),
		"Encoding":        types.Name("Identity-H"),
		"DescendantFonts": types.Array{ref(cidN)},
		"ToUnicode":       ref(toUniN),
	}.PDFString())
	var cs bytes.Buffer
	fmt.Fprintf(&cs, "q 0 0 0 rg BT /F1 %s Tf %s TL %s %s Td\n", num(fontSize), num(leading), num(padding), num(a.h-padding-fontSize*0.9))
	for i, l := range a.lines {
		if i > 0 {
			cs.WriteString("T* ")
		}
		cs.WriteByte('<')
		for _, g := range l {
			fmt.Fprintf(&cs, "%04X", ids[g])
		}
		cs.WriteString("> Tj\n")
	}
	cs.WriteString("ET Q\n")
	inc.stream(formN, types.Dict{
		"Type":      types.Name("XObject"),
		"Subtype":   types.Name("Form"),
		"BBox":      types.Array{types.Integer(0), types.Integer(0), types.Float(a.w), types.Float(a.h)},
		"Resources": types.Dict{"Font": types.Dict{"F1": ref(fontN)}},
	}, cs.Bytes())
	return formN, nil
}

func num(v float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
}

func deflate(b []byte) ([]byte, error) {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return z.Bytes(), nil
}

// toUnicode is a ToUnicode CMap mapping two-byte CIDs to the text's characters.
func toUnicode(m map[uint16]rune) []byte {
	var b bytes.Buffer
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	cids := make([]int, 0, len(m))
	for c := range m {
		cids = append(cids, int(c))
	}
	sortInts(cids)
	for i := 0; i < len(cids); i += 100 {
		end := min(i+100, len(cids))
		fmt.Fprintf(&b, "%d beginbfchar\n", end-i)
		for _, c := range cids[i:end] {
			fmt.Fprintf(&b, "<%04X> <", c)
			for _, u := range utf16Of(string(m[uint16(c)])) {
				fmt.Fprintf(&b, "%04X", u)
			}
			b.WriteString(">\n")
		}
		b.WriteString("endbfchar\n")
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return b.Bytes()
}

var serif = sync1(func() (*ttf, error) { return parseTTF(font.SerifRegular) })
