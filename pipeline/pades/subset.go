package pades

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"golang.org/x/image/font/sfnt"
)

// ttf is a parsed TrueType font: what subsetting and the PDF font
// dictionaries need.
//
// Written here because no maintained Go library returns a TrueType subset as
// bytes: gopdf subsets internally only for its own documents, pdfcpu only for
// fonts installed in its configuration folder, and pdfsign embeds whole
// fonts (about 400 KB a file for Liberation Serif) with WinAnsiEncoding,
// which has no Vietnamese letters.
type ttf struct {
	raw         []byte
	tables      map[string][]byte
	sf          *sfnt.Font
	unitsPerEm  int
	numGlyphs   int
	numHMetrics int
	longLoca    bool
	bbox        [4]int // xMin yMin xMax yMax, font units
	ascent      int
	descent     int
}

func parseTTF(b []byte) (*ttf, error) {
	if len(b) < 12 {
		return nil, errors.New("font: too short")
	}
	f := &ttf{raw: b, tables: map[string][]byte{}}
	n := int(binary.BigEndian.Uint16(b[4:]))
	for i := 0; i < n; i++ {
		e := 12 + 16*i
		if e+16 > len(b) {
			return nil, errors.New("font: truncated table directory")
		}
		tag := string(b[e : e+4])
		off, ln := int(binary.BigEndian.Uint32(b[e+8:])), int(binary.BigEndian.Uint32(b[e+12:]))
		if off < 0 || ln < 0 || off+ln > len(b) {
			return nil, fmt.Errorf("font: table %s out of range", tag)
		}
		f.tables[tag] = b[off : off+ln]
	}
	for _, t := range []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf"} {
		if f.tables[t] == nil {
			return nil, fmt.Errorf("font: no %s table", t)
		}
	}
	head, hhea, maxp := f.tables["head"], f.tables["hhea"], f.tables["maxp"]
	if len(head) < 54 || len(hhea) < 36 || len(maxp) < 6 {
		return nil, errors.New("font: short head, hhea or maxp table")
	}
	f.unitsPerEm = int(binary.BigEndian.Uint16(head[18:]))
	for i := range f.bbox {
		f.bbox[i] = int(int16(binary.BigEndian.Uint16(head[36+2*i:])))
	}
	f.longLoca = binary.BigEndian.Uint16(head[50:]) == 1
	f.ascent = int(int16(binary.BigEndian.Uint16(hhea[4:])))
	f.descent = int(int16(binary.BigEndian.Uint16(hhea[6:])))
	f.numHMetrics = int(binary.BigEndian.Uint16(hhea[34:]))
	f.numGlyphs = int(binary.BigEndian.Uint16(maxp[4:]))
	if f.unitsPerEm == 0 || f.numHMetrics == 0 || len(f.tables["hmtx"]) < 4*f.numHMetrics {
		return nil, errors.New("font: bad metrics")
	}
	sf, err := sfnt.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("font: %w", err)
	}
	f.sf = sf
	return f, nil
}

// glyph returns the glyph index of r, or an error when the font lacks it.
func (f *ttf) glyph(r rune) (uint16, error) {
	var buf sfnt.Buffer
	g, err := f.sf.GlyphIndex(&buf, r)
	if err != nil {
		return 0, err
	}
	if g == 0 {
		return 0, fmt.Errorf("the font has no glyph for %q", r)
	}
	return uint16(g), nil
}

// hmetric returns glyph g's advance width and left side bearing, font units.
func (f *ttf) hmetric(g uint16) (adv uint16, lsb int16) {
	h := f.tables["hmtx"]
	if int(g) < f.numHMetrics {
		return binary.BigEndian.Uint16(h[4*int(g):]), int16(binary.BigEndian.Uint16(h[4*int(g)+2:]))
	}
	adv = binary.BigEndian.Uint16(h[4*(f.numHMetrics-1):])
	i := 4*f.numHMetrics + 2*(int(g)-f.numHMetrics)
	if i+2 <= len(h) {
		lsb = int16(binary.BigEndian.Uint16(h[i:]))
	}
	return adv, lsb
}

// width is glyph g's advance in thousandths of the em (PDF glyph space).
func (f *ttf) width(g uint16) int {
	adv, _ := f.hmetric(g)
	return (int(adv)*1000 + f.unitsPerEm/2) / f.unitsPerEm
}

func (f *ttf) glyphData(g uint16) ([]byte, error) {
	loca, glyf := f.tables["loca"], f.tables["glyf"]
	var a, b int
	if f.longLoca {
		if 4*int(g)+8 > len(loca) {
			return nil, errors.New("font: loca out of range")
		}
		a, b = int(binary.BigEndian.Uint32(loca[4*int(g):])), int(binary.BigEndian.Uint32(loca[4*int(g)+4:]))
	} else {
		if 2*int(g)+4 > len(loca) {
			return nil, errors.New("font: loca out of range")
		}
		a, b = 2*int(binary.BigEndian.Uint16(loca[2*int(g):])), 2*int(binary.BigEndian.Uint16(loca[2*int(g)+2:]))
	}
	if a > b || b > len(glyf) {
		return nil, errors.New("font: glyf out of range")
	}
	return glyf[a:b], nil
}

// Composite glyph flags (TrueType glyf table).
const (
	argWords      = 0x0001
	haveScale     = 0x0008
	moreComps     = 0x0020
	haveXYScale   = 0x0040
	haveTwoByTwo  = 0x0080
	compositeHead = 10
)

// haveInstructions marks a composite glyph followed by instructions.
const haveInstructions = 0x0100

// unhinted returns glyph d without its TrueType instructions, so that the
// subset needs no fpgm, prep or cvt table (hinting does little for 10 pt text
// rendered by PDF viewers, and the instructions are most of a glyph's bytes).
func unhinted(d []byte) ([]byte, error) {
	if len(d) < compositeHead {
		return d, nil
	}
	n := int(int16(binary.BigEndian.Uint16(d)))
	if n >= 0 {
		at := compositeHead + 2*n
		if at+2 > len(d) {
			return nil, errors.New("font: truncated glyph")
		}
		l := int(binary.BigEndian.Uint16(d[at:]))
		if at+2+l > len(d) {
			return nil, errors.New("font: truncated glyph instructions")
		}
		out := append([]byte(nil), d[:at]...)
		out = append(out, 0, 0)
		return append(out, d[at+2+l:]...), nil
	}
	out := append([]byte(nil), d...)
	end := compositeHead
	err := components(out, func(off int) error {
		fp := off - 2
		flags := binary.BigEndian.Uint16(out[fp:]) &^ haveInstructions
		binary.BigEndian.PutUint16(out[fp:], flags)
		end = off + 2
		if flags&argWords != 0 {
			end += 4
		} else {
			end += 2
		}
		switch {
		case flags&haveScale != 0:
			end += 2
		case flags&haveXYScale != 0:
			end += 4
		case flags&haveTwoByTwo != 0:
			end += 8
		}
		return nil
	})
	if err != nil || end > len(out) {
		return nil, errors.New("font: truncated composite glyph")
	}
	return out[:end], nil
}

// components calls fn with the byte offset of each component glyph index of
// the composite glyph d.
func components(d []byte, fn func(off int) error) error {
	if len(d) < compositeHead || int16(binary.BigEndian.Uint16(d)) >= 0 {
		return nil
	}
	p := compositeHead
	for {
		if p+4 > len(d) {
			return errors.New("font: truncated composite glyph")
		}
		flags := binary.BigEndian.Uint16(d[p:])
		if err := fn(p + 2); err != nil {
			return err
		}
		p += 4
		if flags&argWords != 0 {
			p += 4
		} else {
			p += 2
		}
		switch {
		case flags&haveScale != 0:
			p += 2
		case flags&haveXYScale != 0:
			p += 4
		case flags&haveTwoByTwo != 0:
			p += 8
		}
		if flags&moreComps == 0 {
			return nil
		}
	}
}

// subset returns a TrueType font holding .notdef and the glyphs used (with
// the components of composite glyphs), renumbered 0..n-1 in ascending order
// of their old numbers, and the map from old to new glyph numbers.
func (f *ttf) subset(used []uint16) ([]byte, map[uint16]uint16, error) {
	keep := map[uint16]bool{0: true}
	queue := append([]uint16(nil), used...)
	for len(queue) > 0 {
		g := queue[0]
		queue = queue[1:]
		if keep[g] && g != 0 {
			continue
		}
		if int(g) >= f.numGlyphs {
			return nil, nil, fmt.Errorf("font: glyph %d out of range", g)
		}
		keep[g] = true
		d, err := f.glyphData(g)
		if err != nil {
			return nil, nil, err
		}
		if err := components(d, func(off int) error {
			c := binary.BigEndian.Uint16(d[off:])
			if !keep[c] {
				queue = append(queue, c)
			}
			return nil
		}); err != nil {
			return nil, nil, err
		}
	}
	old := make([]uint16, 0, len(keep))
	for g := range keep {
		old = append(old, g)
	}
	sort.Slice(old, func(i, j int) bool { return old[i] < old[j] })
	newID := make(map[uint16]uint16, len(old))
	for i, g := range old {
		newID[g] = uint16(i)
	}
	var glyf []byte
	loca := make([]byte, 4*(len(old)+1))
	hmtx := make([]byte, 4*len(old))
	for i, g := range old {
		d, err := f.glyphData(g)
		if err != nil {
			return nil, nil, err
		}
		if d, err = unhinted(d); err != nil {
			return nil, nil, err
		}
		if err := components(d, func(off int) error {
			binary.BigEndian.PutUint16(d[off:], newID[binary.BigEndian.Uint16(d[off:])])
			return nil
		}); err != nil {
			return nil, nil, err
		}
		binary.BigEndian.PutUint32(loca[4*i:], uint32(len(glyf)))
		glyf = append(glyf, d...)
		for len(glyf)%4 != 0 {
			glyf = append(glyf, 0)
		}
		adv, lsb := f.hmetric(g)
		binary.BigEndian.PutUint16(hmtx[4*i:], adv)
		binary.BigEndian.PutUint16(hmtx[4*i+2:], uint16(lsb))
	}
	binary.BigEndian.PutUint32(loca[4*len(old):], uint32(len(glyf)))

	head := append([]byte(nil), f.tables["head"]...)
	binary.BigEndian.PutUint32(head[8:], 0) // checkSumAdjustment, set below
	binary.BigEndian.PutUint16(head[50:], 1)
	hhea := append([]byte(nil), f.tables["hhea"]...)
	binary.BigEndian.PutUint16(hhea[34:], uint16(len(old)))
	maxp := append([]byte(nil), f.tables["maxp"]...)
	binary.BigEndian.PutUint16(maxp[4:], uint16(len(old)))
	post := []byte{0, 3, 0, 0}
	if p := f.tables["post"]; len(p) >= 32 {
		post = append([]byte(nil), p[:32]...)
		binary.BigEndian.PutUint32(post, 0x00030000) // no glyph names
	}
	tables := map[string][]byte{"head": head, "hhea": hhea, "maxp": maxp, "hmtx": hmtx, "loca": loca, "glyf": glyf, "post": post}
	for _, t := range []string{"OS/2"} {
		if d := f.tables[t]; d != nil {
			tables[t] = d
		}
	}
	out := writeSFNT(tables)
	// head.checkSumAdjustment makes the whole file sum to 0xB1B0AFBA.
	adj := 0xB1B0AFBA - checksum(out)
	hp := tableOffset(out, "head")
	binary.BigEndian.PutUint32(out[hp+8:], adj)
	return out, newID, nil
}

func checksum(b []byte) uint32 {
	var s uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		s += binary.BigEndian.Uint32(w[:])
	}
	return s
}

func writeSFNT(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	n := len(tags)
	es, lg := 1, 0
	for es*2 <= n {
		es *= 2
		lg++
	}
	out := make([]byte, 12+16*n)
	binary.BigEndian.PutUint32(out, 0x00010000)
	binary.BigEndian.PutUint16(out[4:], uint16(n))
	binary.BigEndian.PutUint16(out[6:], uint16(es*16))
	binary.BigEndian.PutUint16(out[8:], uint16(lg))
	binary.BigEndian.PutUint16(out[10:], uint16(n*16-es*16))
	for i, t := range tags {
		d := tables[t]
		e := 12 + 16*i
		copy(out[e:], t)
		binary.BigEndian.PutUint32(out[e+4:], checksum(d))
		binary.BigEndian.PutUint32(out[e+8:], uint32(len(out)))
		binary.BigEndian.PutUint32(out[e+12:], uint32(len(d)))
		out = append(out, d...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out
}

func tableOffset(font []byte, tag string) int {
	n := int(binary.BigEndian.Uint16(font[4:]))
	for i := 0; i < n; i++ {
		e := 12 + 16*i
		if string(font[e:e+4]) == tag {
			return int(binary.BigEndian.Uint32(font[e+8:]))
		}
	}
	return -1
}
