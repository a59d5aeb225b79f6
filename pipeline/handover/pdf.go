package handover

import (
	_ "embed"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/signintech/gopdf"
)

// The record's typeface: Liberation Serif (metric-compatible with Times New
// Roman, the typeface of Vietnamese administrative documents), which has every
// Vietnamese glyph. SIL Open Font License 1.1, see font/LICENSE. gopdf embeds
// the subset of glyphs the record uses.
var (
	//go:embed font/LiberationSerif-Regular.ttf
	serifRegular []byte
	//go:embed font/LiberationSerif-Bold.ttf
	serifBold []byte
)

// Page geometry, in points: A4, margins of 20 mm left and 14 mm right (narrower
// than Nghị định 30/2020 asks of letters, so that file names fit in the table).
const (
	pageW, pageH  = 595.28, 841.89
	marginL       = 57.0 // 20 mm
	marginR       = 40.0 // 14 mm
	marginT       = 57.0 // 20 mm
	marginB       = 57.0
	contentW      = pageW - marginL - marginR
	bodySize      = 12.0
	tableSize     = 7.0
	hashSize      = 6.5
	cellPad       = 2.5
	familyName    = "serif"
	footerSize    = 8.0
	paragraphLead = 1.35 // line height as a multiple of the font size
)

// WritePDF writes the record as a PDF (A4, embedded font): the statements, the
// file table on as many pages as needed with its header repeated on each, and
// the signature blocks of both sides.
func (r *Record) WritePDF(w io.Writer) error {
	// Lay out twice: the first run counts the pages for the "Trang i/n" footers.
	pages, err := r.layoutPDF(io.Discard, 0)
	if err != nil {
		return err
	}
	_, err = r.layoutPDF(w, pages)
	return err
}

// pdfWriter is the cursor of one layout run.
type pdfWriter struct {
	gp      *gopdf.GoPdf
	y       float64
	page    int
	pages   int // total, for footers; 0 in the counting run
	missing []rune
	err     error
}

func (r *Record) layoutPDF(w io.Writer, pages int) (int, error) {
	p := &pdfWriter{gp: &gopdf.GoPdf{}, pages: pages}
	p.gp.Start(gopdf.Config{PageSize: gopdf.Rect{W: pageW, H: pageH}, Unit: gopdf.UnitPT})
	p.gp.SetInfo(gopdf.PdfInfo{Title: recordTitle + " " + r.BatchID, Subject: recordSubject,
		Author: r.Organisation, Creator: "sohoa", Producer: "sohoa", CreationDate: r.Created})
	noteMissing := func(c rune) { p.missing = append(p.missing, c) }
	if err := p.gp.AddTTFFontDataWithOption(familyName, serifRegular,
		gopdf.TtfOption{Style: gopdf.Regular, OnGlyphNotFound: noteMissing}); err != nil {
		return 0, fmt.Errorf("record pdf: font: %w", err)
	}
	if err := p.gp.AddTTFFontDataWithOption(familyName, serifBold,
		gopdf.TtfOption{Style: gopdf.Bold, OnGlyphNotFound: noteMissing}); err != nil {
		return 0, fmt.Errorf("record pdf: font: %w", err)
	}
	p.newPage()

	// Heading, in the form of Nghị định 30/2020: the organisation and the
	// record's number on the left, the national title with its rule and the
	// place and date on the right.
	p.header(r)
	p.y += bodySize
	p.centered(recordTitle, gopdf.Bold, bodySize+4)
	p.centered(recordSubject, gopdf.Regular, bodySize)
	p.y += bodySize * 0.8

	for _, l := range r.summary() {
		p.paragraph(l, gopdf.Regular, bodySize)
	}
	p.y += bodySize * 0.6
	p.centered(tableTitle, gopdf.Bold, bodySize)
	p.table(r.Files, strconv.Itoa)
	if len(r.TagFiles) > 0 {
		p.y += bodySize * 0.6
		p.ensure(5 * bodySize)
		p.paragraph(tagTableTitle, gopdf.Regular, bodySize)
		p.table(r.TagFiles, func(i int) string { return tagNumber(i - 1) })
	}
	p.y += bodySize * 0.6
	p.paragraph(closing, gopdf.Regular, bodySize)
	p.signatures(r.Giver, r.Receiver)
	p.footer()

	if p.err != nil {
		return 0, fmt.Errorf("record pdf: %w", p.err)
	}
	if len(p.missing) > 0 {
		return 0, fmt.Errorf("record pdf: the font has no glyph for %q", string(p.missing))
	}
	if pages > 0 {
		if err := p.gp.Write(w); err != nil {
			return 0, fmt.Errorf("record pdf: %w", err)
		}
	}
	return p.page, nil
}

func (p *pdfWriter) newPage() {
	if p.page > 0 {
		p.footer()
	}
	p.gp.AddPage()
	p.page++
	p.y = marginT
}

// footer writes "Trang i/n" at the bottom of the current page.
func (p *pdfWriter) footer() {
	if p.pages == 0 {
		return
	}
	p.font(gopdf.Regular, footerSize)
	p.cell(marginL, pageH-marginB+footerSize*2, contentW, footerSize*1.2,
		"Trang "+strconv.Itoa(p.page)+"/"+strconv.Itoa(p.pages), gopdf.Center|gopdf.Top, 0)
}

// ensure starts a new page unless h more points fit on this one; it reports
// whether it did.
func (p *pdfWriter) ensure(h float64) bool {
	if p.y+h <= pageH-marginB {
		return false
	}
	p.newPage()
	return true
}

func (p *pdfWriter) font(style int, size float64) {
	if err := p.gp.SetFontWithStyle(familyName, style, size); err != nil && p.err == nil {
		p.err = err
	}
}

func (p *pdfWriter) cell(x, y, w, h float64, text string, align, border int) {
	p.gp.SetXY(x, y)
	if err := p.gp.CellWithOption(&gopdf.Rect{W: w, H: h}, text, gopdf.CellOption{Align: align, Border: border}); err != nil && p.err == nil {
		p.err = err
	}
}

func (p *pdfWriter) width(text string) float64 {
	w, err := p.gp.MeasureTextWidth(text)
	if err != nil && p.err == nil {
		p.err = err
	}
	return w
}

func (p *pdfWriter) centered(text string, style int, size float64) {
	p.font(style, size)
	h := size * paragraphLead
	for _, l := range p.wrapWords(text, contentW) {
		p.ensure(h)
		p.cell(marginL, p.y, contentW, h, l, gopdf.Center|gopdf.Middle, 0)
		p.y += h
	}
}

func (p *pdfWriter) paragraph(text string, style int, size float64) {
	p.font(style, size)
	h := size * paragraphLead
	indent := 0.0
	if strings.HasPrefix(text, "  ") {
		indent = size
		text = strings.TrimLeft(text, " ")
	}
	for _, l := range p.wrapWords(text, contentW-indent) {
		p.ensure(h)
		p.cell(marginL+indent, p.y, contentW-indent, h, l, gopdf.Left|gopdf.Middle, 0)
		p.y += h
	}
}

// wrapWords breaks text at spaces into lines at most width wide (a word wider
// than width is broken anywhere).
func (p *pdfWriter) wrapWords(text string, width float64) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		try := word
		if line != "" {
			try = line + " " + word
		}
		if p.width(try) <= width {
			line = try
			continue
		}
		if line != "" {
			lines = append(lines, line)
		}
		parts := p.wrapAnywhere(word, width)
		lines = append(lines, parts[:len(parts)-1]...)
		line = parts[len(parts)-1]
	}
	return append(lines, line)
}

// wrapAnywhere breaks s into pieces at most width wide, preferring to break
// after a slash (file paths).
func (p *pdfWriter) wrapAnywhere(s string, width float64) []string {
	var out []string
	for s != "" && p.width(s) > width {
		rs := []rune(s)
		n := len(rs) - 1
		for n > 1 && p.width(string(rs[:n])) > width {
			n--
		}
		if i := strings.LastIndex(string(rs[:n]), "/"); i > 0 {
			n = len([]rune(string(rs[:n])[:i+1]))
		}
		out = append(out, string(rs[:n]))
		s = string(rs[n:])
	}
	return append(out, s)
}

// table draws a file table, repeating its header on every page it spans;
// number gives the row numbers, from 1.
func (p *pdfWriter) table(files []File, number func(int) string) {
	p.font(gopdf.Regular, hashSize)
	hashW := p.width(strings.Repeat("d", 64)) + 2*cellPad
	p.font(gopdf.Regular, tableSize)
	noW := p.width("00000") + 2*cellPad
	sizeW := p.width("Dung lượng") + 2*cellPad
	nameW := contentW - noW - sizeW - hashW
	cols := []float64{noW, nameW, sizeW, hashW}
	lineH := tableSize * 1.3

	header := func() {
		p.font(gopdf.Bold, tableSize)
		lines := make([][]string, 4)
		n := 1
		for i, h := range tableHeader {
			lines[i] = p.wrapWords(h, cols[i]-2*cellPad)
			n = max(n, len(lines[i]))
		}
		h := float64(n)*lineH + 2*cellPad
		p.row(cols, lines, h, lineH, gopdf.Center)
	}
	p.font(gopdf.Bold, tableSize)
	p.ensure(3 * lineH * 2)
	header()
	for i, f := range files {
		p.font(gopdf.Regular, tableSize)
		name := p.wrapAnywhere(f.shown(), nameW-2*cellPad)
		h := float64(len(name))*lineH + 2*cellPad
		if p.ensure(h) {
			header()
			p.font(gopdf.Regular, tableSize)
		}
		x := marginL
		p.cellBox(x, cols[0], h)
		p.cell(x+cellPad, p.y+cellPad, cols[0]-2*cellPad, lineH, number(i+1), gopdf.Right|gopdf.Middle, 0)
		x += cols[0]
		p.cellBox(x, cols[1], h)
		for j, l := range name {
			p.cell(x+cellPad, p.y+cellPad+float64(j)*lineH, cols[1]-2*cellPad, lineH, l, gopdf.Left|gopdf.Middle, 0)
		}
		x += cols[1]
		p.cellBox(x, cols[2], h)
		p.cell(x+cellPad, p.y+cellPad, cols[2]-2*cellPad, lineH, strconv.FormatInt(f.Size, 10), gopdf.Right|gopdf.Middle, 0)
		x += cols[2]
		p.cellBox(x, cols[3], h)
		p.font(gopdf.Regular, hashSize)
		p.cell(x+cellPad, p.y+cellPad, cols[3]-2*cellPad, lineH, f.SHA256, gopdf.Left|gopdf.Middle, 0)
		p.y += h
	}
}

// row draws one row of cells of height h with the given lines in each column.
func (p *pdfWriter) row(cols []float64, lines [][]string, h, lineH float64, align int) {
	x := marginL
	for i, w := range cols {
		p.cellBox(x, w, h)
		top := p.y + (h-float64(len(lines[i]))*lineH)/2
		for j, l := range lines[i] {
			p.cell(x+cellPad, top+float64(j)*lineH, w-2*cellPad, lineH, l, align|gopdf.Middle, 0)
		}
		x += w
	}
	p.y += h
}

// cellBox draws the border of a table cell at x on the current row.
func (p *pdfWriter) cellBox(x, w, h float64) {
	p.gp.SetLineWidth(0.5)
	p.gp.RectFromUpperLeftWithStyle(x, p.y, w, h, "D")
}

// signatures draws the two sides' signature blocks next to each other.
func (p *pdfWriter) signatures(giver, receiver Party) {
	h := bodySize * paragraphLead
	blockH := 9 * h
	p.y += h
	p.ensure(blockH)
	colW := contentW / 2
	y0 := p.y
	for i, side := range []struct {
		title string
		p     Party
	}{{"ĐẠI DIỆN BÊN GIAO", giver}, {"ĐẠI DIỆN BÊN NHẬN", receiver}} {
		x := marginL + float64(i)*colW
		y := y0
		p.font(gopdf.Bold, bodySize)
		p.cell(x, y, colW, h, side.title, gopdf.Center|gopdf.Middle, 0)
		y += h
		p.font(gopdf.Regular, bodySize-1)
		p.cell(x, y, colW, h, "(Ký, ghi rõ họ tên)", gopdf.Center|gopdf.Middle, 0)
		y += h
		for _, l := range partyLines("", side.p)[1:] {
			if l == "" {
				y += 2 * h // room for the signature
				continue
			}
			for _, wl := range p.wrapWords(l, colW-bodySize) {
				p.cell(x+bodySize/2, y, colW-bodySize, h, wl, gopdf.Left|gopdf.Middle, 0)
				y += h
			}
		}
		p.y = max(p.y, y)
	}
}

// header draws the NĐ 30 heading: left, the organisation (capitals, bold)
// over a short rule and "Số: …/BB-…"; right, the national title, the motto
// over a rule as wide as it, and the place and date line.
func (p *pdfWriter) header(r *Record) {
	h := bodySize * paragraphLead
	leftW, rightW := contentW*0.42, contentW*0.58
	xl, xr := marginL, marginL+leftW
	y0 := p.y
	y := y0
	p.font(gopdf.Bold, bodySize-1)
	for _, l := range p.wrapWords(r.organisationHeader(), leftW-bodySize) {
		p.cell(xl, y, leftW, h, l, gopdf.Center|gopdf.Middle, 0)
		y += h
	}
	p.gp.SetLineWidth(0.6)
	p.gp.Line(xl+leftW*0.35, y+1, xl+leftW*0.65, y+1)
	y += h * 0.4
	p.font(gopdf.Regular, bodySize)
	p.cell(xl, y, leftW, h, r.numberLine(), gopdf.Center|gopdf.Middle, 0)
	yl := y + h

	y = y0
	p.font(gopdf.Bold, bodySize-1)
	p.cell(xr, y, rightW, h, nationalTitle, gopdf.Center|gopdf.Middle, 0)
	y += h
	p.font(gopdf.Bold, bodySize)
	p.cell(xr, y, rightW, h, nationalMotto, gopdf.Center|gopdf.Middle, 0)
	mw := p.width(nationalMotto)
	y += h
	p.gp.Line(xr+(rightW-mw)/2, y, xr+(rightW+mw)/2, y)
	y += h * 0.4
	p.font(gopdf.Regular, bodySize)
	p.cell(xr, y, rightW, h, r.placeDateLine(), gopdf.Center|gopdf.Middle, 0)
	p.y = max(yl, y+h)
}
