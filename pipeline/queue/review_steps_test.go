package queue

import (
	"context"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/pades"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa/pdfatest"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/pipeline/state"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
	"github.com/sohoa-vn/sohoa/storage"
)

// The correction made in the test.
const (
	correctedDoc     = "0"
	correctedSubject = "Về việc phê duyệt Kế hoạch chỉnh lý tài liệu năm 2024 (đã sửa)"
)

// reviewPlanChecked returns batch id's review plan, checked: every flagged
// document is sampled, the document with a mismatch is flagged, the sample
// is the one Sampled gives, and nothing is accepted yet.
func reviewPlanChecked(t *testing.T, q *Queue, id string) ReviewPlan {
	t.Helper()
	p, err := q.ReviewPlan(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Documents) != 4 || p.Counts.Documents != 4 || p.Counts.Files != 2 || p.Counts.Pages != 4 {
		t.Fatalf("plan: %d documents, counts %+v; want 4 documents, 2 hồ sơ, 4 pages", len(p.Documents), p.Counts)
	}
	flagged := 0
	for _, d := range p.Documents {
		if d.Flagged {
			flagged++
			if !d.Sampled {
				t.Errorf("document %d is flagged (%v, %v) but not sampled", d.Doc, d.Flags, d.Mismatches)
			}
		}
		if d.Sampled != Sampled(id, d.Doc, d.Flagged, 0.3) || d.Review != state.ReviewUnreviewed {
			t.Errorf("document %d: sampled %v, review %s", d.Doc, d.Sampled, d.Review)
		}
	}
	if !p.Documents[docMismatch].Flagged || len(p.Documents[docMismatch].Mismatches) != 1 {
		t.Errorf("document %d: flagged %v, mismatches %v; want the codeNumber mismatch", docMismatch, p.Documents[docMismatch].Flagged, p.Documents[docMismatch].Mismatches)
	}
	if p.Approvable || p.Counts.Accepted != 0 || flagged == 0 {
		t.Errorf("plan: approvable %v, counts %+v, %d flagged", p.Approvable, p.Counts, flagged)
	}
	if !p.Documents[0].Sampled {
		// The test corrects and accepts document 0: it must be sampled (0.3 of the batch id's hash).
		t.Fatalf("document 0 is not sampled with the sample batch's id")
	}
	return p
}

// refusedBeforeAcceptance: Approve before the sample is accepted, and
// corrections that fail validation, are refused; one correction is made.
func refusedBeforeAcceptance(t *testing.T, q *Queue, id string) {
	t.Helper()
	ctx := context.Background()
	if err := q.Approve(ctx, id, reviewer); !errors.Is(err, ErrSampleNotAccepted) {
		t.Errorf("approve before acceptance: %v, want ErrSampleNotAccepted", err)
	}
	for _, c := range [][2]string{{"issuedDate", "31/02/2024"}, {"codeNumber", "abc"}, {"docCode", "x"}, {"nosuch", "x"}} {
		if err := q.Correct(ctx, id, correctedDoc, c[0], c[1], reviewer); !errors.Is(err, ErrInvalidField) {
			t.Errorf("correct %s = %q: %v, want ErrInvalidField", c[0], c[1], err)
		}
	}
	if err := q.Correct(ctx, id, "9", "subject", "x", reviewer); !errors.Is(err, ErrUnknownDocument) {
		t.Errorf("correct document 9 of 4: %v, want ErrUnknownDocument", err)
	}
	if err := q.Correct(ctx, id, correctedDoc, "subject", correctedSubject, reviewer); err != nil {
		t.Fatal(err)
	}
}

// rejectAndReplace rejects the document with the mismatch (the batch goes to
// rejected, where Approve and a second rejection are refused), replaces its
// page with a new scan, and waits for the batch to be back in review with the
// document unreviewed.
func rejectAndReplace(t *testing.T, q *Queue, dir, id string) {
	t.Helper()
	ctx := context.Background()
	doc := strconv.Itoa(docMismatch)
	if err := q.RejectDocument(ctx, id, doc, "", reviewer); !errors.Is(err, ErrInvalidField) {
		t.Errorf("reject without a reason: %v", err)
	}
	if err := q.RejectDocument(ctx, id, doc, "Trang mờ, quét lại", reviewer); err != nil {
		t.Fatal(err)
	}
	if st := waitFinished(t, q, id, batchLimit); st.State != state.BatchRejected {
		t.Fatalf("after a rejection: %+v", st)
	}
	if err := q.Approve(ctx, id, reviewer); !errors.Is(err, ErrNotReviewable) {
		t.Errorf("approve a rejected batch: %v, want ErrNotReviewable", err)
	}
	if err := q.RejectDocument(ctx, id, doc, "again", reviewer); !errors.Is(err, ErrNotReviewable) {
		t.Errorf("reject a rejected document: %v, want ErrNotReviewable", err)
	}
	png, err := os.ReadFile(filepath.Join(dir, replacedPNG))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, replacedPNG), rescan(png), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := q.Replace(ctx, loadDir(t, dir), pipeline.LoadOptions{}, tester)
	if err != nil || len(res.Files) != 1 || res.Pages != 1 {
		t.Fatalf("replace in review: %+v, %v", res, err)
	}
	if st := waitFinished(t, q, id, batchLimit); st.State != state.BatchReview {
		t.Fatalf("after the replacement: %+v", st)
	}
	if keys := archived(t, q); len(keys) != 0 {
		t.Fatalf("after the replacement, before approval, the archive holds %v", keys)
	}
	p, err := q.ReviewPlan(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if d := p.Documents[docMismatch]; d.Review != state.ReviewUnreviewed || d.Reason != "" || p.Counts.Replaced != 1 {
		t.Errorf("after the replacement: document %+v, counts %+v", d, p.Counts)
	}
}

// acceptSample accepts every sampled document; the last acceptance makes the
// batch approvable, not before.
func acceptSample(t *testing.T, q *Queue, id string) {
	t.Helper()
	ctx := context.Background()
	p, err := q.ReviewPlan(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range p.Documents {
		if !d.Sampled {
			continue
		}
		if p, _ := q.ReviewPlan(ctx, id); p.Approvable {
			t.Errorf("approvable before document %d is accepted", d.Doc)
		}
		if err := q.Accept(ctx, id, strconv.Itoa(d.Doc), reviewer); err != nil {
			t.Fatal(err)
		}
	}
	if p, _ := q.ReviewPlan(ctx, id); !p.Approvable || p.Counts.Accepted != p.Counts.Sampled {
		t.Errorf("every sampled document accepted: approvable %v, counts %+v", p.Approvable, p.Counts)
	}
}

// checkSealedPackage checks the archived package of batch id: sealed,
// locked, the correction in its record, and returns its folder.
func checkSealedPackage(t *testing.T, q *Queue, id string, roots *x509.CertPool, trust *seal.Trust) string {
	t.Helper()
	ctx := context.Background()
	pkg, _ := testenv.FetchPackage(t, q.stores.Archive, id)
	r, err := seal.Verify(ctx, pkg, seal.VerifyOptions{Roots: roots, Trust: trust})
	if err != nil || !r.OK() {
		t.Fatalf("seal: %+v, %v", r, err)
	}
	if err := q.stores.Archive.Delete(ctx, id+"/"+pipeline.InspectionFile); !errors.Is(err, storage.ErrLocked) {
		t.Errorf("delete the inspection record of the sealed package: %v, want ErrLocked", err)
	}
	pdfs, err := pades.VerifyDir(pkg, pades.VerifyOptions{Roots: roots, Trust: trust, OrgID: "H49.64.33"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pdfs {
		if !p.OK() {
			t.Errorf("%s: %v", p.File, p.Problems)
		}
	}
	rec, err := os.ReadFile(filepath.Join(pkg, filepath.FromSlash(bag.BatchRecordFile)))
	if err != nil || !strings.Contains(string(rec), correctedSubject) {
		t.Errorf("the package's record lacks the corrected subject (%v)", err)
	}
	return pkg
}

// checkInspectionRecord checks the inspection record of the package at pkg:
// every required part (pdftotext), a valid signature (pdfsig), and the
// validation event in PREMIS.
func checkInspectionRecord(t *testing.T, pkg string, p ReviewPlan) {
	t.Helper()
	file := filepath.Join(pkg, filepath.FromSlash(pipeline.InspectionFile))
	text := strings.Join(strings.Fields(pdfatest.Tool(t, "pdftotext", "-enc", "UTF-8", file, "-")), " ")
	for _, want := range []string{"SỞ NỘI VỤ TỈNH BẮC MINH", "Số: ……/BB-……", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
		"Độc lập - Tự do - Hạnh phúc", "Bắc Minh, ngày", "BIÊN BẢN", "Kiểm tra kết quả số hóa", "Người kiểm tra: " + reviewer.Name,
		"Số hồ sơ: 2. Số văn bản: 4. Số trang: 4.", "được chọn kiểm tra: " + strconv.Itoa(p.Counts.Sampled),
		"Số văn bản đạt: " + strconv.Itoa(p.Counts.Sampled), "Số văn bản được sửa thông tin: 1", "thay bằng bản quét mới: 1",
		"Số văn bản trả lại: 0", "subject", correctedSubject, "NGƯỜI KIỂM TRA", "THỦ TRƯỞNG CƠ QUAN"} {
		if !strings.Contains(text, want) {
			t.Errorf("inspection record: no %q in:\n%s", want, text)
		}
	}
	if sig := pdfatest.Tool(t, "pdfsig", file); !strings.Contains(sig, "Signature is Valid") || !strings.Contains(sig, "Total document signed") {
		t.Errorf("pdfsig:\n%s", sig)
	}
	premis, err := os.ReadFile(filepath.Join(pkg, filepath.FromSlash(bag.PremisFile)))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Events []struct {
			Type    string   `xml:"eventType"`
			Objects []string `xml:"linkingObjectIdentifier>linkingObjectIdentifierValue"`
		} `xml:"event"`
	}
	if err := xml.Unmarshal(premis, &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range doc.Events {
		if e.Type == "validation" && len(e.Objects) == 5 && e.Objects[0] == pipeline.InspectionFile {
			n++
		}
	}
	if n != 1 {
		t.Errorf("PREMIS: %d validation events linking the record and the 4 PDFs, want 1", n)
	}
}

// refusedAfterSealing: nothing of a sealed batch can be corrected, accepted,
// rejected or replaced, nor approved again.
func refusedAfterSealing(t *testing.T, q *Queue, dir, id string) {
	t.Helper()
	ctx := context.Background()
	for what, err := range map[string]error{
		"correct": q.Correct(ctx, id, correctedDoc, "subject", "x", reviewer),
		"accept":  q.Accept(ctx, id, "1", reviewer),
		"reject":  q.RejectDocument(ctx, id, "1", "late", reviewer),
		"approve": q.Approve(ctx, id, reviewer),
	} {
		if !errors.Is(err, ErrSealed) {
			t.Errorf("%s after sealing: %v, want ErrSealed", what, err)
		}
	}
	png, _ := os.ReadFile(filepath.Join(dir, replacedPNG))
	os.WriteFile(filepath.Join(dir, replacedPNG), rescan(png), 0o644)
	if _, err := q.Replace(ctx, loadDir(t, dir), pipeline.LoadOptions{}, tester); !errors.Is(err, ErrSealed) {
		t.Errorf("replace after sealing: %v, want ErrSealed", err)
	}
}
