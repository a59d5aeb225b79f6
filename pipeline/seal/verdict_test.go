package seal_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// TestVerdict checks the one verdict that verify and the handover tools
// share: a sealed, complete package checked against its CA passes; without
// the CA the signature is not checked (never a pass); a problem added by a
// further Checker (such as a PDF signature check) fails it, with its code and
// Vietnamese message; a Checker that cannot check fails verification.
func TestVerdict(t *testing.T) {
	f := setup(t)
	if r := verify(t, f.series[0], seal.VerifyOptions{Roots: f.roots}); r.Outcome() != seal.Passed || !r.SignatureChecked {
		t.Fatalf("sealed package with its CA: %v, signature checked %v\n%s", r.Outcome(), r.SignatureChecked, lines(r.Problems))
	}
	r := verify(t, f.series[0], seal.VerifyOptions{})
	if r.Outcome() != seal.NotChecked || r.SignatureChecked || len(r.Problems) != 1 || r.Problems[0].Code != seal.CodeSignatureNotChecked ||
		!strings.Contains(r.Problems[0].Vi, "chữ ký số chưa được kiểm tra") {
		t.Fatalf("without CA: %v\n%s", r.Outcome(), lines(r.Problems))
	}
	if r.Outcome().Vietnamese() == "Đạt" {
		t.Errorf("without CA the verdict reads Đạt")
	}

	const pdfSig seal.Code = "pdf-signature-invalid"
	extra := func(ctx context.Context, dir string, r *seal.Report) error {
		r.Add(seal.Problem{Check: "pdf", Code: pdfSig, Path: "data/x.pdf", What: "PDF signature does not hold", Vi: "chữ ký số trong tệp PDF không hợp lệ"})
		return nil
	}
	r = verify(t, f.series[0], seal.VerifyOptions{Roots: f.roots, Checks: []seal.Checker{extra}})
	if r.Outcome() != seal.Failed || len(r.Problems) != 1 || r.Problems[0].Code != pdfSig ||
		r.Problems[0].Message(true) != "data/x.pdf: chữ ký số trong tệp PDF không hợp lệ" {
		t.Errorf("with a failing further check: %v\n%s", r.Outcome(), lines(r.Problems))
	}
	broken := func(ctx context.Context, dir string, r *seal.Report) error { return errors.New("pdfsig not installed") }
	if _, err := seal.Verify(context.Background(), f.series[0], seal.VerifyOptions{Roots: f.roots, Checks: []seal.Checker{broken}}); err == nil {
		t.Error("a check that cannot run: no error")
	}
}

// TestVerdictIncomplete: the unsealed package of an incomplete batch fails
// with every reason: incomplete, each missing document by its mã, not sealed.
func TestVerdictIncomplete(t *testing.T) {
	f := setup(t)
	dir := unsealedCopy(t, f, "lo-thieu")
	replaceIn(t, dir+"/bag-info.txt", "Sohoa-Batch-Status: complete", "Sohoa-Batch-Status: incomplete")
	for range 4 {
		replaceIn(t, dir+"/metadata/batch.json", `"status": "done"`, `"status": "failed", "error": "trang hỏng"`)
	}
	retag(t, dir, bag.InfoFile, bag.BatchRecordFile)
	r := verify(t, dir, seal.VerifyOptions{Roots: f.roots})
	codes := map[seal.Code]int{}
	for _, p := range r.Problems {
		codes[p.Code]++
	}
	if r.Outcome() != seal.Failed || codes[seal.CodeIncomplete] != 1 || codes[seal.CodeDocumentMissing] != 4 || codes[seal.CodeUnsealed] != 1 {
		t.Fatalf("incomplete unsealed package: %v %v\n%s", r.Outcome(), codes, lines(r.Problems))
	}
	for _, p := range r.Problems {
		if p.Code == seal.CodeDocumentMissing && (!strings.Contains(p.Vi, "thiếu văn bản H49.64.33.") || !strings.Contains(p.Vi, "lý do: trang hỏng")) {
			t.Errorf("missing document named as %q", p.Vi)
		}
	}
}
