package tt05

import "testing"

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
