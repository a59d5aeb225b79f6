package backuplog

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/signintech/gopdf"

	"github.com/sohoa-vn/sohoa/pipeline/handover"
)

// Record is a biên bản of TT 05/2025 Phụ lục VII in the form of Nghị định
// 30/2020: the biên bản sao lưu of a period (Report) or the biên bản xử lý sự
// cố và phục hồi of one incident (Incident).
type Record struct {
	Organisation string    // the agency keeping the archive
	Place        string    // where it is drawn up (e.g. the province)
	Created      time.Time // when it is drawn up
	Title        string    // "BIÊN BẢN"
	Subject      string    // "Sao lưu tài liệu lưu trữ số", ...
	Lines        []string  // the statements
	Columns      []string  // the table's header
	Widths       []float64 // the columns' share of the width
	Rows         [][]string
	Closing      string
	// Number is the record's number and symbol after "Số: " (e.g.
	// "12/BB-KT"); empty leaves the form's blanks "……/BB-……" to fill in.
	Number string
	// Signers are the headings of the two signature blocks, left and right,
	// each with its note; empty: the person who drew it up and the head of the agency.
	Signers [2][2]string
}

// numberLine is the record's "Số: …/BB-…" line.
func (r *Record) numberLine() string {
	if r.Number == "" {
		return "Số: ……/BB-……"
	}
	return "Số: " + r.Number
}

// place is where the record is drawn up, or the form's blank.
func (r *Record) place() string {
	if r.Place == "" {
		return "……………"
	}
	return r.Place
}

// signers returns the signature blocks' headings and notes.
func (r *Record) signers() [2][2]string {
	if r.Signers == ([2][2]string{}) {
		return [2][2]string{{"NGƯỜI LẬP BIÊN BẢN", "(Ký, ghi rõ họ tên)"}, {"THỦ TRƯỞNG CƠ QUAN", "(Ký số của cơ quan)"}}
	}
	return r.Signers
}

var vietnam = time.FixedZone("ICT", 7*3600)

func vnDate(t time.Time) string {
	t = t.In(vietnam)
	return fmt.Sprintf("ngày %02d tháng %02d năm %d", t.Day(), int(t.Month()), t.Year())
}

func vnTime(t time.Time) string { return t.In(vietnam).Format("2006-01-02T15:04:05-07:00") }

// Report returns the biên bản sao lưu for the entries of the period from..to.
func Report(org, place string, from, to, now time.Time, entries []Entry) *Record {
	r := &Record{Organisation: org, Place: place, Created: now, Title: "BIÊN BẢN",
		Subject: "Sao lưu tài liệu lưu trữ số",
		Columns: []string{"STT", "Số nhật ký", "Thời gian", "Công việc", "Kho / bản sao", "Gói tin", "Đối tượng", "Byte", "Kết quả"},
		Widths:  []float64{0.05, 0.13, 0.17, 0.1, 0.1, 0.15, 0.08, 0.11, 0.11}}
	counts := map[string]int{}
	failed := 0
	for i, e := range entries {
		counts[e.Kind]++
		res := "đạt"
		if !e.OK {
			res = "không đạt"
			failed++
		}
		r.Rows = append(r.Rows, []string{strconv.Itoa(i + 1), e.ID, vnTime(e.Time), kindVi(e.Kind), e.Store, e.Package,
			strconv.Itoa(e.Objects), strconv.FormatInt(e.Bytes, 10), res})
	}
	r.Lines = []string{
		fmt.Sprintf("Căn cứ Thông tư số 05/2025/TT-BNV, Điều 27 và Phụ lục VII; nhật ký sao lưu của %s.", org),
		fmt.Sprintf("Kỳ sao lưu: từ %s đến %s.", vnTime(from), vnTime(to)),
		fmt.Sprintf("Trong kỳ: %d lần sao lưu gói tin vào bản sao, %d lần kiểm tra toàn vẹn, %d sự cố, %d lần phục hồi kho; %d mục không đạt.",
			counts[KindCopy], counts[KindCheck], counts[KindIncident], counts[KindRestore], failed),
		fmt.Sprintf("Tổng số mục nhật ký: %d (chi tiết ở bảng dưới).", len(entries)),
	}
	r.Closing = "Biên bản được lập từ nhật ký sao lưu (không sửa đổi được) của hệ thống và ký số bằng chữ ký số của cơ quan."
	return r
}

// Incident returns the biên bản xử lý sự cố và phục hồi of the incident e.
func Incident(org, place string, now time.Time, e *Entry) *Record {
	r := &Record{Organisation: org, Place: place, Created: now, Title: "BIÊN BẢN",
		Subject: "Xử lý sự cố và phục hồi dữ liệu lưu trữ số",
		Columns: []string{"STT", "Đối tượng (khóa)", "Kho", "Sự cố", "Xử lý", "SHA-256 bản nguyên vẹn"},
		Widths:  []float64{0.05, 0.3, 0.08, 0.08, 0.22, 0.27}}
	repaired := 0
	for i, it := range e.Items {
		if !strings.HasPrefix(it.Action, "unrecoverable") {
			repaired++
		}
		r.Rows = append(r.Rows, []string{strconv.Itoa(i + 1), it.Key, it.Store, problemVi(it.Problem), actionVi(it.Action), it.SHA256})
	}
	result := "Tất cả đối tượng bị hỏng đã được phục hồi từ bản sao nguyên vẹn và kiểm tra lại mã SHA-256."
	if !e.OK {
		result = fmt.Sprintf("CÒN %d ĐỐI TƯỢNG KHÔNG PHỤC HỒI ĐƯỢC (không còn bản sao nguyên vẹn): cần xử lý ngay.", len(e.Items)-repaired)
	}
	r.Lines = []string{
		"Căn cứ Thông tư số 05/2025/TT-BNV, Điều 27 và Phụ lục VII.",
		fmt.Sprintf("Sự cố số %s, phát hiện lúc %s khi kiểm tra toàn vẹn (fixity) các kho lưu trữ.", e.ID, vnTime(e.Time)),
		fmt.Sprintf("Số đối tượng bị hỏng hoặc mất: %d; đã phục hồi: %d.", len(e.Items), repaired),
		"Kết quả: " + result,
	}
	r.Closing = "Biên bản được lập từ nhật ký sao lưu (không sửa đổi được) của hệ thống và ký số bằng chữ ký số của cơ quan."
	return r
}

func kindVi(k string) string {
	switch k {
	case KindCopy:
		return "sao lưu"
	case KindCheck:
		return "kiểm tra"
	case KindRepair:
		return "sửa chữa"
	case KindIncident:
		return "sự cố"
	case KindRestore:
		return "phục hồi"
	}
	return k
}

func problemVi(p string) string {
	switch p {
	case "altered":
		return "bị thay đổi"
	case "missing":
		return "bị mất"
	case "unreadable":
		return "không đọc được"
	}
	return p
}

func actionVi(a string) string {
	if rest, ok := strings.CutPrefix(a, "restored from "); ok {
		from, _, replaced := strings.Cut(rest, " (")
		if replaced {
			return "phục hồi từ " + from + " (phiên bản mới)"
		}
		return "phục hồi từ " + from
	}
	if strings.HasPrefix(a, "unrecoverable") {
		return "KHÔNG PHỤC HỒI ĐƯỢC"
	}
	return a
}

// Text writes the record as plain text (UTF-8).
func (r *Record) Text(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n%s, %s\n\n%s\n%s\n\n",
		strings.ToUpper(r.Organisation), r.numberLine(), r.place(), vnDate(r.Created), r.Title, r.Subject)
	for _, l := range r.Lines {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n" + strings.Join(r.Columns, "\t") + "\n")
	for _, row := range r.Rows {
		b.WriteString(strings.Join(row, "\t") + "\n")
	}
	b.WriteString("\n" + r.Closing + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// Page geometry, in points: A4 with the margins of Nghị định 30/2020
// (top 20 mm, bottom 20 mm, left 30 mm, right 15 mm).
const (
	pageW, pageH = 595.28, 841.89
	marginL      = 85.0
	marginR      = 42.5
	marginT      = 57.0
	marginB      = 57.0
	contentW     = pageW - marginL - marginR
	bodySize     = 13.0
	tableSize    = 7.0
)

// WritePDF writes the record as a PDF (A4, Liberation Serif embedded); it is
// signed afterwards like the other records.
func (r *Record) WritePDF(w io.Writer) error {
	gp := &gopdf.GoPdf{}
	gp.Start(gopdf.Config{PageSize: gopdf.Rect{W: pageW, H: pageH}, Unit: gopdf.UnitPT})
	gp.SetInfo(gopdf.PdfInfo{Title: r.Title + " " + r.Subject, Author: r.Organisation, Creator: "sohoa", Producer: "sohoa", CreationDate: r.Created})
	var missing []rune
	note := func(c rune) { missing = append(missing, c) }
	regular, bold := handover.SerifFonts()
	if err := gp.AddTTFFontDataWithOption("serif", regular, gopdf.TtfOption{Style: gopdf.Regular, OnGlyphNotFound: note}); err != nil {
		return fmt.Errorf("backup record: font: %w", err)
	}
	if err := gp.AddTTFFontDataWithOption("serif", bold, gopdf.TtfOption{Style: gopdf.Bold, OnGlyphNotFound: note}); err != nil {
		return fmt.Errorf("backup record: font: %w", err)
	}
	l := &layout{gp: gp}
	l.newPage()
	// Heading: the agency on the left, the national title and motto on the right.
	half := contentW / 2
	l.text(marginL, l.y, half*0.9, strings.ToUpper(r.Organisation), gopdf.Bold, 11, gopdf.Center)
	l.text(marginL+half*0.9, l.y, half*1.1, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", gopdf.Bold, 11, gopdf.Center)
	l.y += 14
	l.text(marginL+half*0.9, l.y, half*1.1, "Độc lập - Tự do - Hạnh phúc", gopdf.Bold, 12, gopdf.Center)
	// The rules of Nghị định 30/2020: under the agency, and under the motto
	// as long as it; then the record's number on the left.
	l.gp.SetLineWidth(0.6)
	l.gp.Line(marginL+half*0.3, l.y+15, marginL+half*0.6, l.y+15)
	l.gp.Line(marginL+half*0.9+half*1.1*0.2, l.y+15, marginL+half*0.9+half*1.1*0.8, l.y+15)
	l.y += 22
	l.text(marginL, l.y, half*0.9, r.numberLine(), gopdf.Regular, 12, gopdf.Center)
	l.text(marginL+half*0.9, l.y, half*1.1, r.place()+", "+vnDate(r.Created), gopdf.Regular, 12, gopdf.Center)
	l.y += 30
	l.text(marginL, l.y, contentW, r.Title, gopdf.Bold, 14, gopdf.Center)
	l.y += 18
	l.text(marginL, l.y, contentW, r.Subject, gopdf.Bold, 13, gopdf.Center)
	l.y += 26
	for _, s := range r.Lines {
		l.paragraph(s, gopdf.Regular, bodySize)
	}
	l.y += 8
	l.table(r.Columns, r.Widths, r.Rows)
	l.y += 10
	l.paragraph(r.Closing, gopdf.Regular, bodySize)
	l.y += 16
	if l.y+90 > pageH-marginB {
		l.newPage()
	}
	sg := r.signers()
	l.text(marginL, l.y, half, sg[0][0], gopdf.Bold, 12, gopdf.Center)
	l.text(marginL+half, l.y, half, sg[1][0], gopdf.Bold, 12, gopdf.Center)
	l.y += 15
	l.text(marginL, l.y, half, sg[0][1], gopdf.Regular, 11, gopdf.Center)
	l.text(marginL+half, l.y, half, sg[1][1], gopdf.Regular, 11, gopdf.Center)
	if l.err != nil {
		return fmt.Errorf("backup record: %w", l.err)
	}
	if len(missing) > 0 {
		return fmt.Errorf("backup record: the font has no glyph for %q", string(missing))
	}
	if err := gp.Write(w); err != nil {
		return fmt.Errorf("backup record: %w", err)
	}
	return nil
}

type layout struct {
	gp  *gopdf.GoPdf
	y   float64
	err error
}

func (l *layout) newPage() {
	l.gp.AddPage()
	l.y = marginT
}

func (l *layout) font(style int, size float64) {
	if err := l.gp.SetFont("serif", styleName(style), size); err != nil && l.err == nil {
		l.err = err
	}
}

func styleName(style int) string {
	if style == gopdf.Bold {
		return "B"
	}
	return ""
}

func (l *layout) text(x, y, w float64, s string, style int, size float64, align int) {
	l.font(style, size)
	l.gp.SetXY(x, y)
	if err := l.gp.CellWithOption(&gopdf.Rect{W: w, H: size * 1.2}, s, gopdf.CellOption{Align: align | gopdf.Middle}); err != nil && l.err == nil {
		l.err = err
	}
}

// wrap splits s into lines no wider than w at the current font, at spaces,
// or anywhere in a word longer than a line (keys, hashes).
func (l *layout) wrap(s string, w float64) []string {
	var lines []string
	cur := ""
	width := func(t string) float64 { v, _ := l.gp.MeasureTextWidth(t); return v }
	for _, word := range strings.Fields(s) {
		for width(word) > w {
			n := len([]rune(word))
			cut := n
			for cut > 1 && width(string([]rune(word)[:cut])) > w {
				cut--
			}
			if cur != "" {
				lines = append(lines, cur)
				cur = ""
			}
			lines = append(lines, string([]rune(word)[:cut]))
			word = string([]rune(word)[cut:])
		}
		switch {
		case cur == "":
			cur = word
		case width(cur+" "+word) <= w:
			cur += " " + word
		default:
			lines = append(lines, cur)
			cur = word
		}
	}
	if cur != "" || len(lines) == 0 {
		lines = append(lines, cur)
	}
	return lines
}

func (l *layout) paragraph(s string, style int, size float64) {
	l.font(style, size)
	for _, line := range l.wrap(s, contentW) {
		if l.y+size*1.4 > pageH-marginB {
			l.newPage()
		}
		l.text(marginL, l.y, contentW, line, style, size, gopdf.Left)
		l.y += size * 1.4
	}
}

func (l *layout) table(cols []string, widths []float64, rows [][]string) {
	lineH := tableSize * 1.3
	draw := func(cells []string, style int) {
		l.font(style, tableSize)
		wrapped := make([][]string, len(cells))
		n := 1
		for i, c := range cells {
			wrapped[i] = l.wrap(c, widths[i]*contentW-4)
			n = max(n, len(wrapped[i]))
		}
		h := float64(n)*lineH + 4
		if l.y+h > pageH-marginB {
			l.newPage()
		}
		x := marginL
		for i := range cells {
			w := widths[i] * contentW
			l.gp.SetLineWidth(0.5)
			l.gp.RectFromUpperLeftWithStyle(x, l.y, w, h, "D")
			for j, line := range wrapped[i] {
				l.text(x+2, l.y+2+float64(j)*lineH, w-4, line, style, tableSize, gopdf.Left)
			}
			x += w
		}
		l.y += h
	}
	draw(cols, gopdf.Bold)
	for _, r := range rows {
		draw(r, gopdf.Regular)
	}
}
