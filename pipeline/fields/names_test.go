package fields

import "testing"

func TestFixSurname(t *testing.T) {
	for in, want := range map[string]string{
		"Đương Hoàng Nhân":   "Dương Hoàng Nhân", // the bar of Đ misread
		"Nguyến Văn An":      "Nguyễn Văn An",    // a tone misread
		"Đường Văn Bình":     "Đường Văn Bình",   // a surname: never changed
		"Trần Đức Thắng":     "Trần Đức Thắng",
		"Xzy Văn Nam":        "Xzy Văn Nam", // no surname fits: left as read
		"Lý Văn Nam":         "Lý Văn Nam",
		"Dưỡng Hoằng Nhân":   "Dương Hoằng Nhân", // only the surname is looked at
		"Hồ Tấn Tùng":        "Hồ Tấn Tùng",
		"Phạm Thị Thanh Hoa": "Phạm Thị Thanh Hoa",
	} {
		if got := fixSurname(in); got != want {
			t.Errorf("fixSurname(%q) = %q, want %q", in, got, want)
		}
	}
}
