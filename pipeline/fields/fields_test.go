package fields

import (
	"image"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/ocr"
)

// page lays out lines of text as OCR words: each line is "x y text", words 20 px per
// character wide and 40 px high, one space (20 px) between words.
func page(lines ...string) Page {
	var ws []ocr.Word
	for _, l := range lines {
		var x, y int
		parts := strings.SplitN(l, " ", 3)
		x, y = atoi(parts[0]), atoi(parts[1])
		for _, w := range strings.Fields(parts[2]) {
			n := len([]rune(w))
			ws = append(ws, ocr.Word{Text: w, Box: image.Rect(x, y, x+20*n, y+40), Confidence: 95})
			x += 20*n + 20
		}
	}
	return Page{Words: ws, Width: 2480, Height: 3508}
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// firstPage is the top of an NĐ 30 first page; the number and date are given.
func firstPage(number, date string) Page {
	return page(
		"300 200 ỦY BAN NHÂN DÂN",
		"1300 200 CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
		"300 260 HUYỆN AN LẠC",
		"1400 260 Độc lập - Tự do - Hạnh phúc",
		"300 360 Số: "+number,
		"1350 360 An Lạc, "+date,
		"1050 500 QUYẾT ĐỊNH",
		"700 570 Về việc phê duyệt Kế hoạch chỉnh lý tài liệu",
		"900 630 năm 2024",
		"400 800 Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
	)
}

func TestPrintedHeader(t *testing.T) {
	f := Read(firstPage("145/QĐ-UBND", "ngày 8 tháng 3 năm 2024"), Page{})
	got := []string{f.OrganName.Text, f.CodeNumber.Text, f.CodeNotation.Text, f.Place.Text, f.IssuedDate.Text, f.TypeName.Text, f.Subject.Text}
	want := []string{"ỦY BAN NHÂN DÂN HUYỆN AN LẠC", "145", "QĐ-UBND", "An Lạc", "08/03/2024", "Quyết định", "Về việc phê duyệt Kế hoạch chỉnh lý tài liệu năm 2024"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("field %d = %q, want %q", i, got[i], want[i])
		}
	}
	if f.CodeNumber.Confidence < 0.9 || f.IssuedDate.Confidence < 0.9 {
		t.Errorf("confidences %v %v", f.CodeNumber.Confidence, f.IssuedDate.Confidence)
	}
}

// A number and a date left blank for the registry to write by hand are not guessed:
// empty, with a low confidence, while the notation and year around them are read.
func TestHandwrittenNumberAndDateLeftEmpty(t *testing.T) {
	f := Read(firstPage("/QĐ-UBND", "ngày tháng năm 2024"), Page{})
	if f.CodeNumber.Text != "" || f.CodeNumber.Confidence != notPrinted {
		t.Errorf("codeNumber = %+v, want empty with confidence %v", f.CodeNumber, notPrinted)
	}
	if f.IssuedDate.Text != "" || f.IssuedDate.Confidence != notPrinted {
		t.Errorf("issuedDate = %+v, want empty with confidence %v", f.IssuedDate, notPrinted)
	}
	if f.CodeNotation.Text != "QĐ-UBND" || f.Place.Text != "An Lạc" {
		t.Errorf("notation %q, place %q", f.CodeNotation.Text, f.Place.Text)
	}
}

// Reading does not depend on the order of the words: reversed, the same fields come out.
func TestWordOrderDoesNotMatter(t *testing.T) {
	p := firstPage("145/QĐ-UBND", "ngày 08 tháng 03 năm 2024")
	want := Read(p, Page{})
	rev := Page{Width: p.Width, Height: p.Height}
	for i := len(p.Words) - 1; i >= 0; i-- {
		rev.Words = append(rev.Words, p.Words[i])
	}
	if got := Read(rev, Page{}); got != want {
		t.Errorf("reversed words read\n%+v\nwant\n%+v", got, want)
	}
}

func TestSignerBlockAndMarks(t *testing.T) {
	last := page(
		"300 300 Nơi nhận:",
		"1400 300 KT. CHỦ TỊCH",
		"300 360 - Như Điều 3;",
		"1400 360 PHÓ CHỦ TỊCH",
		"300 420 - Lưu: VT.",
		"1400 700 Nguyễn Văn An",
	)
	f := Read(firstPage("05/QĐ-UBND", "ngày 01 tháng 02 năm 2024"), last)
	if f.Authority.Text != "KT." || f.SignerTitle.Text != "KT. CHỦ TỊCH PHÓ CHỦ TỊCH" || f.SignerName.Text != "Nguyễn Văn An" {
		t.Errorf("signer %q %q %q", f.Authority.Text, f.SignerTitle.Text, f.SignerName.Text)
	}
	marked := page("300 200 ỦY BAN NHÂN DÂN", "350 450 [TỐI MẬT]", "350 520 HỎA TỐC")
	if m, ok := MarkedSecret(marked); !ok || m != "TỐI MẬT" {
		t.Errorf("MarkedSecret = %q %v", m, ok)
	}
	if m, ok := MarkedSecret(page("300 900 việc bảo vệ bí mật nhà nước được thực hiện")); ok {
		t.Errorf("body text taken for a mark: %q", m)
	}
	if f := Read(marked, Page{}); f.Urgency.Text != "HỎA TỐC" || f.Secrecy.Text != "TỐI MẬT" {
		t.Errorf("marks %q %q", f.Secrecy.Text, f.Urgency.Text)
	}
}

// A blank page, or no page at all, reads as nothing, without failing.
func TestBlankPages(t *testing.T) {
	for _, p := range []Page{{}, {Width: 2480, Height: 3508}, page("1200 1700 .")} {
		if f := Read(p, p); f != (Fields{}) {
			t.Errorf("blank page read as %+v", f)
		}
		if _, ok := SignerRegion(p); ok {
			t.Error("a blank page has a signer region")
		}
		if e := FirstPage(p); e.First() {
			t.Errorf("a blank page is a first page: %+v", e)
		}
	}
	if firsts, _ := Split(nil); len(firsts) != 0 {
		t.Errorf("no pages split at %v", firsts)
	}
}
