package ocr

import "testing"

func TestIsSyllable(t *testing.T) {
	valid := []string{"Nguyễn", "Thanh", "Trinh", "QUYẾT", "ĐỊNH", "CỘNG", "CỌNG", "HÒA", "nghiêng", "khuyến", "quyết",
		"giữa", "gì", "giêng", "người", "được", "hưởng", "oanh", "khuỷu", "chỉ", "bổ", "bố", "a", "ý", "yêu", "kì",
		"kỹ", "ghế", "nghĩa", "quốc", "thuận", "phước", "lộc", "VĂN", "PHÒNG", "huyện", "tỉnh", "Tùng", "Tấn", "Hoằng"}
	for _, w := range valid {
		if !IsSyllable(w) {
			t.Errorf("IsSyllable(%q) = false, want true", w)
		}
	}
	invalid := []string{"QUYÉT", "Dưỡngg", "kan", "ghan", "ngo1", "cẻ", "quu", "bàt", "hỏc", "UBND", "VT",
		"tôn đọng", "H8'Ïãñ", "Nv", "o8", "ce", "zô", "fa", "wa", "nhậpp", "", "xyz", "ngiã", "tiñ"}
	for _, w := range invalid {
		if IsSyllable(w) {
			t.Errorf("IsSyllable(%q) = true, want false", w)
		}
	}
}
