// Package fields reads the metadata printed on an administrative document laid out
// per Nghị định 30/2020/NĐ-CP (Phụ lục I) from the OCR words of its pages and their
// positions: the issuing organ and its parent, số and ký hiệu, place and date, type
// name, trích yếu, the signer block, and secrecy and urgency marks. It also tells a
// document's first page from the pages that follow it, to split stacks.
//
// Only word boxes are used, never the engine's line order, so the reading does not
// depend on how the OCR engine orders columns. A value that is not printed (a number
// or date written by hand at registration) is left empty with a low confidence,
// never guessed.
package fields

import (
	"fmt"
	"image"
	"regexp"
	"sort"
	"strings"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline/tt05"
)

// Page is the OCR of one upright page.
type Page struct {
	Words         []ocr.Word
	Width, Height int
	// SignerWords, when set, are a second reading of SignerRegion (see SignerRegion), in
	// page coordinates; they replace the words of that region for the signer block.
	SignerWords  []ocr.Word
	SignerRegion image.Rectangle
}

// Value is one field read from the page.
type Value struct {
	Text       string  `json:"value"`
	Confidence float64 `json:"confidence"` // 0..1; 0 when nothing was found
}

// Fields are the NĐ 30 fields of one document. Empty values were not found.
type Fields struct {
	OrganName    Value `json:"organName"`
	ParentOrgan  Value `json:"parentOrgan"`
	CodeNumber   Value `json:"codeNumber"`
	CodeNotation Value `json:"codeNotation"`
	Place        Value `json:"place"`
	IssuedDate   Value `json:"issuedDate"` // DD/MM/YYYY
	TypeName     Value `json:"typeName"`   // the name of the tt05 document type list
	Subject      Value `json:"subject"`
	Authority    Value `json:"authority"` // TM., KT., Q., TL., TUQ.
	SignerTitle  Value `json:"signerTitle"`
	SignerName   Value `json:"signerName"`
	Secrecy      Value `json:"secrecy"` // MẬT, TỐI MẬT, TUYỆT MẬT
	Urgency      Value `json:"urgency"` // KHẨN, THƯỢNG KHẨN, HỎA TỐC
}

// Signer returns the signer as the catalogue records it: authority and title lines, then the name.
func (f Fields) Signer() string {
	var parts []string
	for _, v := range []Value{f.SignerTitle, f.SignerName} {
		if v.Text != "" {
			parts = append(parts, v.Text)
		}
	}
	return strings.Join(parts, " ")
}

// Not printed: the confidence given to a field whose place on the page is there but
// holds no printed value (a number or date left for hand-writing).
const notPrinted = 0.1

var (
	mottoRe     = regexp.MustCompile(`(?i)(CỘNG HÒA|CỘNG HOÀ|XÃ HỘI CHỦ NGHĨA|Độc lập\s*-\s*Tự do)`)
	numberRe    = regexp.MustCompile(`(?:^|[^\p{L}])S[ốỐôo]\s*[:.;,]?\s*([0-9]{0,6})\s*[/|]?\s*([\p{Lu}0-9][\p{L}0-9]*(?:\s?[-–]\s?[\p{L}0-9]+)*)?`)
	dateRe      = regexp.MustCompile(`(?i)([\p{L}][\p{L} .'-]*?)\s*[,.]\s*ngày\s*([0-9]{0,2})\s*tháng\s*([0-9]{0,2})\s*năm\s*([0-9]{4})?`)
	vvRe        = regexp.MustCompile(`^[^\p{L}]*V\s*/\s*[vV]\s*[:.]?\s*(.*)$`)
	authorityRe = regexp.MustCompile(`^[^\p{L}]*(TM|KT|TL|TUQ|Q)\s*[.,:]\s*`)
	kinhGuiRe   = regexp.MustCompile(`(?i)^(kính gửi|căn cứ|thực hiện|xét|nơi nhận)`)
)

// marks are the secrecy and urgency marks, longest first.
var (
	secrecyMarks = []string{"TUYỆT MẬT", "TỐI MẬT", "MẬT"}
	urgencyMarks = []string{"THƯỢNG KHẨN", "HỎA TỐC", "HOẢ TỐC", "KHẨN"}
)

// organStarts are the first words of an organ's name; a header line starting with one,
// after the first line, begins the issuing organ under its parent.
var organStarts = []string{"SỞ", "PHÒNG", "BAN", "CHI CỤC", "CỤC", "VỤ", "TRUNG TÂM", "TRƯỜNG", "BỆNH VIỆN", "CÔNG TY",
	"ỦY BAN", "UỶ BAN", "UBND", "TỔNG CỤC", "HỘI ĐỒNG", "VĂN PHÒNG", "THANH TRA", "ĐẢNG ỦY", "VIỆN", "BỘ", "KHO BẠC", "ĐOÀN", "CÔNG AN", "TÒA ÁN", "VIỆN KIỂM SÁT"}

// Read reads the fields of a document from its first page and (for the signer) its
// last page; last may be the first page itself.
func Read(first, last Page) Fields {
	var f Fields
	segs := segments(first.Words)
	h := headerOf(segs, first)
	f.CodeNumber, f.CodeNotation = h.number, h.notation
	f.Place, f.IssuedDate = h.place, h.date
	f.OrganName, f.ParentOrgan = h.organ, h.parent
	f.Secrecy, f.Urgency = marksOf(segs, first, h)
	f.TypeName, f.Subject = typeAndSubject(segs, first, h)
	if len(last.Words) == 0 {
		last = first
	}
	lastSegs := segments(withSigner(last))
	f.Authority, f.SignerTitle, f.SignerName = signerOf(lastSegs, last)
	return f
}

// header is what the two header columns hold.
type header struct {
	motto, numberSeg *segment
	organ, parent    Value
	number, notation Value
	place, date      Value
	bottom           int // y below the header block
}

func headerOf(segs []segment, pg Page) header {
	var h header
	limit := pg.Height * 45 / 100
	for i := range segs {
		s := &segs[i]
		if s.box.Min.Y > limit {
			break
		}
		if h.motto == nil && mottoRe.MatchString(s.text) {
			h.motto = s
		}
		if h.numberSeg == nil && s.cx() < pg.Width*6/10 {
			if m := numberRe.FindStringSubmatch(s.text); m != nil && (m[1] != "" || m[2] != "") {
				h.numberSeg = s
				c := s.conf / 100
				if m[1] != "" {
					h.number = Value{padNumber(m[1]), c}
				} else {
					h.number = Value{"", notPrinted}
				}
				if m[2] != "" {
					h.notation = Value{cleanNotation(m[2]), c}
				}
			}
		}
		if h.date.Text == "" && h.date.Confidence == 0 {
			if m := dateRe.FindStringSubmatch(s.text); m != nil && s.cx() > pg.Width*4/10 {
				c := s.conf / 100
				h.place = Value{trimJunk(m[1]), c}
				if m[2] != "" && m[3] != "" && m[4] != "" {
					h.date = Value{fmt.Sprintf("%02s/%02s/%s", pad2(m[2]), pad2(m[3]), m[4]), c}
				} else {
					h.date = Value{"", notPrinted}
				}
				if h.bottom < s.box.Max.Y {
					h.bottom = s.box.Max.Y
				}
			}
		}
	}
	if h.numberSeg != nil {
		if h.bottom < h.numberSeg.box.Max.Y {
			h.bottom = h.numberSeg.box.Max.Y
		}
	}
	// The organ: upper-case lines of the left column from the top of the header down
	// to the số line.
	top := 0
	if h.motto != nil {
		top = h.motto.box.Min.Y - h.motto.h()
	}
	stop := limit
	if h.numberSeg != nil {
		stop = h.numberSeg.box.Min.Y
	}
	var lines []segment
	for _, s := range segs {
		if s.box.Min.Y < top || s.box.Min.Y >= stop || s.cx() >= pg.Width/2 || mottoRe.MatchString(s.text) {
			continue
		}
		t := trimJunk(s.text)
		if t == "" || upperShare(t) < 0.8 || s.conf < 50 || isMark(t) != "" {
			continue
		}
		s.text = t
		lines = append(lines, s)
	}
	if len(lines) == 0 {
		return h
	}
	split := 0
	for i := 1; i < len(lines); i++ {
		if startsOrgan(lines[i].text) {
			split = i
			break
		}
	}
	join := func(ls []segment) Value {
		var parts []string
		c := 0.0
		for _, l := range ls {
			parts = append(parts, l.text)
			c += l.conf
		}
		return Value{strings.Join(parts, " "), c / float64(len(ls)) / 100}
	}
	h.parent = Value{}
	if split > 0 {
		h.parent = join(lines[:split])
	}
	h.organ = join(lines[split:])
	return h
}

func startsOrgan(s string) bool {
	for _, p := range organStarts {
		if s == p || strings.HasPrefix(s, p+" ") {
			return true
		}
	}
	return false
}

// isMark returns the secrecy or urgency mark s consists of, or "".
func isMark(s string) string {
	var toks []string
	for _, t := range strings.Fields(s) {
		t = strings.TrimFunc(t, func(r rune) bool { return !isLetter(r) })
		if len([]rune(t)) >= 2 {
			toks = append(toks, t)
		}
	}
	j := strings.Join(toks, " ")
	for _, m := range append(append([]string{}, secrecyMarks...), urgencyMarks...) {
		if j == m {
			return m
		}
	}
	return ""
}

// marksOf finds the secrecy and urgency marks: a line of the page holding a mark alone.
func marksOf(segs []segment, pg Page, h header) (secrecy, urgency Value) {
	for _, s := range segs {
		m := isMark(s.text)
		if m == "" {
			continue
		}
		v := Value{m, s.conf / 100}
		if strings.HasSuffix(m, "MẬT") {
			if secrecy.Text == "" {
				secrecy = v
			}
		} else if urgency.Text == "" {
			if m == "HOẢ TỐC" {
				v.Text = "HỎA TỐC"
			}
			urgency = v
		}
	}
	return secrecy, urgency
}

// MarkedSecret reports whether any of pages carries a secrecy mark (MẬT, TỐI MẬT,
// TUYỆT MẬT) printed or stamped as a line of its own, and which.
func MarkedSecret(pages ...Page) (string, bool) {
	for _, p := range pages {
		for _, s := range segments(p.Words) {
			if m := isMark(s.text); strings.HasSuffix(m, "MẬT") {
				return m, true
			}
		}
	}
	return "", false
}

func typeAndSubject(segs []segment, pg Page, h header) (typ, subject Value) {
	start := h.bottom
	// Công văn: "V/v …" in the left column under the số line, maybe on several lines.
	for i, s := range segs {
		if s.box.Min.Y < start-2*s.h() || s.cx() >= pg.Width/2 || s.box.Min.Y > pg.Height/2 {
			continue
		}
		m := vvRe.FindStringSubmatch(s.text)
		if m == nil {
			continue
		}
		parts := []string{m[1]}
		c, n := s.conf, 1.0
		prev := s
		for _, t := range segs[i+1:] {
			if t.cx() >= pg.Width/2 {
				continue
			}
			if t.box.Min.Y-prev.box.Max.Y > 2*prev.h() || isMark(t.text) != "" || kinhGuiRe.MatchString(t.text) || dateRe.MatchString(t.text) {
				break
			}
			parts = append(parts, t.text)
			c += t.conf
			n++
			prev = t
		}
		return Value{"Công văn", s.conf / 100}, Value{trimJunk(strings.Join(parts, " ")), c / n / 100}
	}
	for i, s := range segs {
		if s.box.Min.Y <= start || s.box.Min.Y > pg.Height/2 {
			continue
		}
		t, ok := tt05.LookupType(strings.TrimRight(trimJunk(s.text), ": "))
		if !ok || upperShare(s.text) < 0.8 {
			continue
		}
		typ = Value{t.Name, s.conf / 100}
		// The trích yếu: the centred rows under the type name, set close together; the
		// body starts after a wider gap.
		var parts []string
		c, n := 0.0, 0.0
		prevBottom, lineH := s.box.Max.Y, s.h()
		for j := i + 1; j < len(segs); {
			u := segs[j]
			row := []segment{u}
			k := j + 1
			for ; k < len(segs) && abs(segs[k].box.Min.Y-u.box.Min.Y) < u.h()/2; k++ {
				row = append(row, segs[k])
			}
			j = k
			line := makeRow(row)
			first := n == 0
			if abs(line.cx()-s.cx()) > pg.Width/8 || upperShare(line.text) > 0.8 || kinhGuiRe.MatchString(line.text) {
				break
			}
			if gap := line.box.Min.Y - prevBottom; (first && gap > 3*lineH) || (!first && gap > lineH) {
				break
			}
			parts = append(parts, line.text)
			c += line.conf
			n++
			prevBottom, lineH = line.box.Max.Y, line.h()
		}
		if n > 0 {
			subject = Value{trimJunk(strings.Join(parts, " ")), c / n / 100}
		}
		return typ, subject
	}
	// No type line: the abbreviation that opens the notation (QĐ-UBND) names the type.
	if g, _, ok := strings.Cut(h.notation.Text, "-"); ok {
		if t, ok := tt05.LookupType(g); ok && t.Abbrev != "" {
			return Value{t.Name, h.notation.Confidence / 2}, Value{}
		}
	}
	return Value{}, Value{}
}

// signerOf reads the signer block: the upper-case lines of the right column at the
// height of "Nơi nhận" and below, then the name, the last line in title case.
func signerOf(segs []segment, pg Page) (authority, title, name Value) {
	top := pg.Height / 3
	for _, s := range segs {
		if strings.HasPrefix(tt05.Fold(s.text), "nơi nhận") {
			top = s.box.Min.Y - s.h()
		}
	}
	titles, name := signerLines(segs, pg, top)
	if len(titles) == 0 {
		return
	}
	var lines []string
	c := 0.0
	for _, s := range titles {
		line := s.text
		if m := authorityRe.FindStringSubmatch(line); m != nil {
			line = m[1] + ". " + line[len(m[0]):]
			if authority.Text == "" {
				authority = Value{m[1] + ".", s.conf / 100}
			}
		}
		lines = append(lines, line)
		c += s.conf
	}
	title = Value{strings.Join(lines, " "), c / float64(len(titles)) / 100}
	return authority, title, name
}

// signerLines returns the title lines of the signer block (upper case, in the right part of
// the page, below top) and the name under them: the last line in title case.
func signerLines(segs []segment, pg Page, top int) (titles []segment, name Value) {
	for _, s := range segs {
		if s.box.Min.Y < top || s.box.Min.X < pg.Width*4/10 {
			continue
		}
		t := trimJunk(s.text)
		if t == "" || s.conf < 40 {
			continue
		}
		switch {
		case upperShare(t) >= 0.8 && len([]rune(t)) >= 4 && name.Text == "":
			s.text = t
			titles = append(titles, s)
		case len(titles) > 0 && isName(t):
			name = Value{fixSurname(t), s.conf / 100}
		}
	}
	return titles, name
}

// isName reports whether s looks like a person's name as printed: two to five words,
// each capitalised and the rest lower case.
func isName(s string) bool {
	toks := strings.Fields(s)
	if len(toks) < 2 || len(toks) > 5 {
		return false
	}
	for _, t := range toks {
		r := []rune(t)
		if !isUpper(r[0]) {
			return false
		}
		for _, x := range r[1:] {
			if !isLetter(x) || isUpper(x) {
				return false
			}
		}
	}
	return true
}

func padNumber(s string) string {
	s = strings.TrimLeft(s, "0")
	if len(s) == 1 {
		return "0" + s
	}
	if s == "" {
		return ""
	}
	return s
}

func pad2(s string) string {
	if len(s) == 1 {
		return "0" + s
	}
	return s
}

func cleanNotation(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), "–", "-")
	return strings.Trim(s, "-")
}

// makeRow joins the segments of one row, left to right, into one line.
func makeRow(segs []segment) segment {
	var ws []ocr.Word
	for _, s := range segs {
		ws = append(ws, s.words...)
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].Box.Min.X < ws[j].Box.Min.X })
	return makeSegment(ws)
}
