package tt05

import (
	"fmt"
	"testing"
)

func TestTypeCode(t *testing.T) {
	for in, want := range map[string]string{"Quyết định": "02", "quyết  định": "02", "02": "02", "2": "02",
		"Công văn": "22", "TTr": "15", "biên bản": "20", "32": "32", "Bản vẽ kỹ thuật": "31"} {
		if got, ok := TypeCode(in); !ok || got != want {
			t.Errorf("TypeCode(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "Quyết định số", "33", "00"} {
		if got, ok := TypeCode(in); ok {
			t.Errorf("TypeCode(%q) = %q, want no code", in, got)
		}
	}
	// Every type the catalogue offers has its TT 05 code.
	for _, dt := range DocTypes {
		if _, ok := TypeCode(dt.Name); !ok {
			t.Errorf("%s has no TT 05 typeName code", dt.Name)
		}
	}
}

// TestDocTypesComplete: the 32 typeName codes of TT 05/2025 (tt05-packages.md,
// "Code lists") each name one document type, and map both ways: code to name
// (TypeName, DocTypes) and name, in any case, to code (TypeCode, LookupType).
func TestDocTypesComplete(t *testing.T) {
	want := []string{"Nghị quyết", "Quyết định", "Chỉ thị", "Quy chế", "Quy định", "Thông cáo", "Thông báo",
		"Hướng dẫn", "Chương trình", "Kế hoạch", "Phương án", "Đề án", "Dự án", "Báo cáo", "Tờ trình",
		"Giấy ủy quyền", "Phiếu gửi", "Phiếu chuyển", "Phiếu báo", "Biên bản", "Hợp đồng", "Công văn",
		"Công điện", "Bản ghi nhớ", "Bản thỏa thuận", "Giấy mời", "Giấy giới thiệu", "Giấy nghỉ phép",
		"Thư công", "Bản đồ", "Bản vẽ kỹ thuật", "Khác"}
	if len(DocTypes) != len(want) || len(TypeName) != len(want) {
		t.Fatalf("%d document types, %d typeName codes; want %d", len(DocTypes), len(TypeName), len(want))
	}
	for i, name := range want {
		code := fmt.Sprintf("%02d", i+1)
		if TypeName[code] != name {
			t.Errorf("TypeName[%s] = %q, want %q", code, TypeName[code], name)
		}
		if dt := DocTypes[i]; dt.Code != code || dt.Name != name {
			t.Errorf("DocTypes[%d] = %+v, want code %s, %s", i, dt, code, name)
		}
		for _, v := range []string{name, Fold(name), code} {
			if got, ok := TypeCode(v); !ok || got != code {
				t.Errorf("TypeCode(%q) = %q, %v; want %s", v, got, ok, code)
			}
		}
		if dt, ok := LookupType(name); !ok || dt.Code != code {
			t.Errorf("LookupType(%q) = %+v, %v; want code %s", name, dt, ok, code)
		}
	}
	if got, ok := TypeCode("TC"); !ok || got != "06" {
		t.Errorf("TypeCode(TC) = %q, %v; want 06 (Thông cáo)", got, ok)
	}
}
