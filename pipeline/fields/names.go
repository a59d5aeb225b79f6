package fields

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// surnames are the common Vietnamese family names (họ), which open a person's name, the
// most frequent first.
var surnames = strings.Fields(`Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý
	Đào Đoàn Vương Trịnh Trương Lâm Phùng Mai Tô Hà Tạ Cao Chu Đinh Lương Lưu Quách Thái Kiều
	Từ Tăng Triệu Lại La Lạc Mạc Nông Diệp Châu Âu Khúc Khổng Tôn Thân Hứa Kim Lục Doãn Giang
	Đàm Đồng Viên Nghiêm Tống Hầu Quan Ông Vi Cù Bạch Đậu Trình Hàn Lã Thạch Đường
	Cấn Khương Lò Ninh Quang Tiêu Yên Mẫn Phí Ứng Văn`)

// fixSurname returns name with its first word replaced by the surname it was misread from,
// when that word is not a surname but a surname has the same letters without marks
// (Đương → Dương: the bar of Đ or a tone mark misread); of several, the most frequent.
// Any other name is returned as it is.
func fixSurname(name string) string {
	first, rest, _ := strings.Cut(name, " ")
	match := ""
	for _, s := range surnames {
		if s == first {
			return name
		}
		if match == "" && bare(s) == bare(first) {
			match = s
		}
	}
	if match == "" {
		return name
	}
	return match + " " + rest
}

// bare lower-cases s and takes away its marks: tones, circumflex, breve, horn and the bar of đ.
func bare(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			b.WriteRune('d')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
