package handover

import (
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// TestVerdictCountsAIPProblems: a bag that passes, handed over with an
// AIP_hoso that has problems, is never "Đạt" in the record; the problems are
// listed under the package's row.
func TestVerdictCountsAIPProblems(t *testing.T) {
	r := &Record{Verified: true, Outcome: seal.Passed, SignatureChecked: true,
		Packages: []Package{
			{HoSo: "H49.64.33.2024.01.VTLT", Name: "a.zip"},
			{HoSo: "H49.64.33.2025.02.VTLT", Name: "b.zip", Problems: []string{"representations/rep1/data/x.pdf: SHA-256 differs"}},
		}}
	if v := r.verdictLine(); !strings.HasPrefix(v, "Không đạt") || !strings.Contains(v, "1 vấn đề trong các gói AIP_hoso") {
		t.Errorf("verdict with an AIP problem: %q", v)
	}
	text := strings.Join(r.summary(), "\n")
	if strings.Contains(text, "Kết quả kiểm tra: Đạt") || !strings.Contains(text, "     - representations/rep1/data/x.pdf: SHA-256 differs") {
		t.Errorf("record:\n%s", text)
	}
	r.Packages[1].Problems = nil
	if v := r.verdictLine(); !strings.HasPrefix(v, "Đạt") {
		t.Errorf("verdict without problems: %q", v)
	}
}
