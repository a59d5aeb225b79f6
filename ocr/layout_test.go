package ocr

import (
	"image"
	"strings"
	"testing"
)

// line returns the words of one Tesseract line: each text at x, all at y, 40 pixels high,
// 25 pixels per character.
func line(block, ln, y int, parts ...any) []Word {
	var ws []Word
	for i := 0; i < len(parts); i += 2 {
		x := parts[i].(int)
		for _, t := range strings.Fields(parts[i+1].(string)) {
			w := 25 * len([]rune(t))
			ws = append(ws, Word{Text: t, Box: image.Rect(x, y, x+w, y+40), Confidence: 95, Block: block, Paragraph: 1, Line: ln})
			x += w + 12
		}
	}
	return ws
}

// TestOrderLayout lays out an NĐ 30 page the way Tesseract reads it, header and footer
// columns merged line by line, and checks the reading order and regions.
func TestOrderLayout(t *testing.T) {
	var words []Word
	add := func(ws []Word) { words = append(words, ws...) }
	add(line(1, 1, 100, 200, "ỦY BAN NHÂN DÂN", 1100, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA"))
	add(line(1, 2, 150, 220, "HUYỆN AN LẠC", 1200, "Độc lập - Tự do"))
	add(line(1, 3, 220, 230, "Số: 12/QĐ-UBND", 1050, "An Lạc, ngày 8 tháng 3 năm 2024"))
	add(line(2, 4, 320, 880, "QUYẾT ĐỊNH"))
	add(line(3, 5, 420, 200, "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015"))
	add(line(3, 6, 470, 200, "Điều 1. Phê duyệt Kế hoạch chỉnh lý tài liệu tồn đọng năm 2024 ở đây"))
	add(line(3, 7, 520, 200, "định này."))
	add(line(4, 8, 600, 200, "Nơi nhận:", 1250, "CHỦ TỊCH"))
	add(line(4, 9, 650, 200, "- Như Điều 3;"))
	add(line(5, 10, 900, 1200, "Nguyễn Văn An"))

	got := orderLayout(words)
	res := Result{Words: got}
	want := strings.Join([]string{
		"ỦY BAN NHÂN DÂN\nHUYỆN AN LẠC\nSố: 12/QĐ-UBND",
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA\nĐộc lập - Tự do\nAn Lạc, ngày 8 tháng 3 năm 2024",
		"QUYẾT ĐỊNH",
		"Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015\n" +
			"Điều 1. Phê duyệt Kế hoạch chỉnh lý tài liệu tồn đọng năm 2024 ở đây",
		"định này.\nNơi nhận:\n- Như Điều 3;",
		"CHỦ TỊCH\nNguyễn Văn An",
	}, "\n\n")
	if txt := res.Text(); txt != want {
		t.Errorf("text:\n%s\nwant:\n%s", txt, want)
	}
	regions := map[string]Region{"ỦY": RegionHeaderLeft, "CỘNG": RegionHeaderRight, "QUYẾT": RegionBody,
		"Nơi": RegionFooterLeft, "Nguyễn": RegionFooterRight}
	for _, w := range got {
		if r, ok := regions[w.Text]; ok && w.Region != r {
			t.Errorf("%q in region %q, want %q", w.Text, w.Region, r)
		}
	}
	checkResult(t, &Result{Words: got, MeanConfidence: 95}, image.Rect(0, 0, 2480, 3508))
}

// TestOrderLayoutSingleColumn checks that a page whose header is centred, as on the older
// samples, keeps Tesseract's order.
func TestOrderLayoutSingleColumn(t *testing.T) {
	var words []Word
	words = append(words, line(1, 1, 100, 700, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")...)
	words = append(words, line(1, 2, 150, 800, "Độc lập - Tự do - Hạnh phúc")...)
	words = append(words, line(2, 3, 250, 200, "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015")...)
	words = append(words, line(2, 4, 300, 200, "Điều 1. Phê duyệt Kế hoạch chỉnh lý tài liệu tồn đọng năm 2024 ở đây")...)
	before := (&Result{Words: append([]Word(nil), words...)}).Text()
	got := orderLayout(words)
	if txt := (&Result{Words: got}).Text(); txt != before {
		t.Errorf("text:\n%s\nwant:\n%s", txt, before)
	}
}
