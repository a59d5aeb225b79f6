package handover

import "testing"

// TestSignerName: the sealing certificate's subject is shown by the holder's
// name and organisation, never as a raw distinguished name.
func TestSignerName(t *testing.T) {
	cases := map[string]string{
		"CN=Nguyễn Văn An,O=Sở Nội vụ tỉnh Bắc Minh,C=VN":         "Nguyễn Văn An (Sở Nội vụ tỉnh Bắc Minh)",
		"CN=sohoa development,OU=Lưu trữ,O=Sở Nội vụ\\, Bắc Minh": "sohoa development (Sở Nội vụ, Bắc Minh)",
		"O=Trung tâm Lưu trữ,C=VN":                                "Trung tâm Lưu trữ",
		"CN=Sở Nội vụ,O=Sở Nội vụ":                                "Sở Nội vụ",
		"SERIALNUMBER=123":                                        "SERIALNUMBER=123",
	}
	for dn, want := range cases {
		if got := signerName(dn); got != want {
			t.Errorf("signerName(%q) = %q, want %q", dn, got, want)
		}
	}
}
