package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
	"github.com/sohoa-vn/sohoa/pipeline/state"
	"github.com/sohoa-vn/sohoa/storage"
)

// blankPNG returns an A4 page at 300 dpi of one grey level: a blank scan
// (flagged "blank" by OCR); other levels are other scans of it.
func blankPNG(t *testing.T, level uint8) []byte {
	t.Helper()
	g := image.NewGray(image.Rect(0, 0, 2480, 3508))
	for i := range g.Pix {
		g.Pix[i] = level
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, g); err != nil {
		t.Fatal(err)
	}
	// A pHYs chunk after IHDR: 11811 pixels per metre (300 dpi) both ways.
	body := binary.BigEndian.AppendUint32([]byte("pHYs"), 11811)
	body = binary.BigEndian.AppendUint32(body, 11811)
	body = append(body, 1)
	chunk := binary.BigEndian.AppendUint32(nil, 9)
	chunk = append(chunk, body...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(body))
	const afterIHDR = 8 + 25
	data := buf.Bytes()
	return append(append(append([]byte(nil), data[:afterIHDR]...), chunk...), data[afterIHDR:]...)
}

// reviewBatch is a batch of two documents whose first has a catalogue/page
// mismatch (the catalogue says số 313, the page reads 312) and a blank,
// flagged second page; the second document is a clean page.
func reviewBatch(t *testing.T, id string) map[string][]byte {
	t.Helper()
	read := func(p string) []byte {
		data, err := os.ReadFile(filepath.Join("../..", p))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	const code = "H49.64.33.2025.02.VTLT"
	return map[string][]byte{
		id + "/batch.json": []byte(`{"id": "` + id + `", "files": [{"fileCode": "` + code + `", "title": "Hồ sơ giao nộp năm 2025",
			"maintenance": "02", "paperFileCode": "H49.K1.G3.H12.46", "documents": [
			{"docOrdinal": 1, "codeNumber": "313", "codeNotation": "CCVTLT-NVLT", "issuedDate": "17/09/2025",
			 "subject": "V/v giao nộp hồ sơ, tài liệu vào Lưu trữ lịch sử tỉnh"},
			{"docOrdinal": 2, "subject": "Quyết định về việc chỉnh lý tài liệu"}]}]}`),
		id + "/" + code + "/1/page-001.png": read("testdata/batch/H49.64.33.2025.02.VTLT/01-cv-giao-nop.png"),
		id + "/" + code + "/1/page-002.png": blankPNG(t, 255),
		id + "/" + code + "/2/page-001.jpg": read("testdata/samples/qd-chinh-ly-p01.jpg"),
	}
}

// TestBrowserReview drives the review with headless Chromium: a reviewer logs
// in with a user name and password; the batch, with a flagged page and a
// catalogue/page mismatch, waits in review with nothing archived; the
// reviewer zooms a page, corrects the mismatched field, replaces the blank
// page with a new scan (processed again), accepts the sampled documents and
// approves; only then is the package sealed and locked, with the inspection
// record in it. Screenshots of the review screen, the zoomed page and the
// audit trail are saved as artefacts.
func TestBrowserReview(t *testing.T) {
	exe := chromium(t)
	e := newReviewEnv(t, 64<<20, queue.ReviewOptions{Required: true, Sample: 0.3, Place: "Bắc Minh"})
	e.addUser("hoa.tran", configs.RoleReviewer, "mật-khẩu-của-hoa")
	id := e.upload(reviewBatch(t, "web-review-1"))
	e.startWorker(1)
	ctx, shot := browser(t, exe)
	batch := e.url + "/batches/" + id
	err := chromedp.Do(ctx,
		chromedp.Navigate(batch),
		chromedp.WaitVisible(css(`#user`)),
		chromedp.SendKeys(css(`#user`), "hoa.tran"),
		chromedp.SendKeys(css(`#password`), "mật-khẩu-của-hoa"),
		chromedp.Click(css(`#login`)),
		// The batch page follows the batch live until it waits in review.
		chromedp.WaitVisible(css(`#summary[data-state="review"] #review-link`)),
	)
	if err != nil {
		t.Fatalf("login and waiting for the review: %v", err)
	}
	if keys := e.archived(id); len(keys) != 0 {
		t.Fatalf("in review, before approval, the archive holds %v", keys)
	}
	plan := e.reviewPlan(id)
	d0 := plan.Documents[0]
	if !d0.Sampled || !d0.Flagged || len(d0.Flags[2]) == 0 || len(d0.Mismatches) != 1 || d0.Mismatches[0].Field != "codeNumber" {
		t.Fatalf("document 0 in review: %+v: want it sampled, page 2 flagged and số mismatched", d0)
	}
	// The review list: no Approve button yet; open the flagged document.
	err = chromedp.Do(ctx,
		chromedp.Click(css(`#review-link`)),
		chromedp.WaitVisible(css(`#rdoc-0 a.open-review`)),
	)
	if err != nil {
		t.Fatalf("review list: %v", err)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#approve").length`)); err != nil || n != 0 {
		t.Fatalf("the Approve button is shown before the sample is accepted (%d, %v)", n, err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(css(`#rdoc-0 a.open-review`)),
		chromedp.WaitVisible(css(`#field-codeNumber.mismatch`)),
		chromedp.WaitVisible(css(`#rpage-2 .page-flag`)),
	)
	if err == nil {
		err = poll(ctx, `(function(){var i=document.getElementById("img-1");return i.complete && i.naturalWidth >= 1200})()`)
	}
	if err == nil {
		err = chromedp.Do(ctx, shot("review-screen.png"))
	}
	if err != nil {
		t.Fatalf("review screen: %v", err)
	}
	if txt, err := chromedp.Run(ctx, chromedp.Text(css(`#field-codeNumber`))); err != nil || !strings.Contains(txt, "313") || !strings.Contains(txt, "312") {
		t.Errorf("số side by side: %q, %v", txt, err)
	}
	// Zoom in twice: the page is drawn twice as large, from a larger rendering.
	scale := `(function(){var i=document.getElementById("img-1");return i.getBoundingClientRect().width/document.getElementById("zoom-1").clientWidth})()`
	before, err := chromedp.Run(ctx, chromedp.Evaluate[float64](scale))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(css(`#zoom-in-1`)),
		chromedp.Click(css(`#zoom-in-1`)),
	)
	if err == nil {
		err = poll(ctx, `document.getElementById("zoom-1").getAttribute("data-scale") == "2"`)
	}
	if err == nil {
		err = poll(ctx, `(function(){var i=document.getElementById("img-1");return i.complete && i.naturalWidth > 1200 && i.src.indexOf("width=1200") < 0})()`)
	}
	if err == nil {
		err = chromedp.Do(ctx, shot("review-zoomed.png"))
	}
	if err != nil {
		t.Fatalf("zoom: %v", err)
	}
	after, err := chromedp.Run(ctx, chromedp.Evaluate[float64](scale))
	if err != nil || after < 1.9*before {
		t.Errorf("zoom: the page is drawn at %.2f of the frame, was %.2f (%v)", after, before, err)
	}
	// Correct số as the page reads it: the mismatch is resolved.
	err = chromedp.Do(ctx,
		chromedp.SetValue(css(`#correct-field`), "codeNumber"),
		chromedp.SendKeys(css(`#correct-value`), "312"),
		chromedp.Click(css(`#correct`)),
		chromedp.WaitVisible(css(`#field-codeNumber .corrected`)),
	)
	if err != nil {
		t.Fatalf("correct: %v", err)
	}
	e.noError(ctx, "correct")
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#field-codeNumber.mismatch").length`)); err != nil || n != 0 {
		t.Errorf("the corrected field is still a mismatch (%d, %v)", n, err)
	}
	// Replace the blank page with a new scan; it is processed again and the batch comes back to review.
	oldImage := e.pageImage(id, 0, 2)
	scan := filepath.Join(t.TempDir(), "page-002.png")
	if err := os.WriteFile(scan, blankPNG(t, 250), 0o644); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.SetUploadFiles(css(`#scan-2`), []string{scan}),
		chromedp.Click(css(`#replace-2`)),
		chromedp.WaitVisible(css(`#replaced`)),
	)
	if err != nil {
		t.Fatalf("replace: %v", err)
	}
	e.noError(ctx, "replace")
	err = chromedp.Do(ctx,
		chromedp.Navigate(batch),
		chromedp.WaitVisible(css(`#summary[data-state="review"] #review-link`)),
	)
	if err != nil {
		t.Fatalf("waiting for the new scan to be processed: %v", err)
	}
	plan = e.reviewPlan(id)
	if plan.Counts.Replaced != 1 || plan.Counts.Corrected != 1 {
		t.Fatalf("after the replacement: counts %+v", plan.Counts)
	}
	if bytes.Equal(e.pageImage(id, 0, 2), oldImage) {
		t.Error("after the replacement the page image is the old scan's")
	}
	// Accept every sampled document from its review screen.
	for _, d := range plan.Documents {
		if !d.Sampled {
			continue
		}
		err = chromedp.Do(ctx,
			chromedp.Navigate(e.url+docPath(id, d.Doc, "/review")),
			chromedp.Click(css(`#accept`)),
			chromedp.WaitVisible(css(`#review-state.review-accepted`)),
		)
		if err != nil {
			t.Fatalf("accept document %d: %v", d.Doc, err)
		}
		e.noError(ctx, "accept")
	}
	if keys := e.archived(id); len(keys) != 0 {
		t.Fatalf("every sampled document accepted, not yet approved: the archive holds %v", keys)
	}
	// Approve from the review list; the batch is packaged, sealed and locked.
	err = chromedp.Do(ctx,
		chromedp.Navigate(batch+"/review"),
		chromedp.Click(css(`#approve`)),
		chromedp.WaitVisible(css(`#summary[data-state="complete"]`)),
		chromedp.WaitVisible(css(`#audit tr[data-action="approve"]`)),
		chromedp.ScrollIntoView(css(`#audit`)),
		shot("review-audit.png"),
	)
	if err != nil {
		t.Fatalf("approve: %v", err)
	}
	for _, a := range []string{"correct", "replace", "accept", "approve"} {
		if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#audit tr[data-action="`+a+`"]').length`)); err != nil || n == 0 {
			t.Errorf("audit trail on the batch page: no %s entry (%v)", a, err)
		}
	}
	keys := e.archived(id)
	if !keys[id+"/"+pipeline.InspectionFile] {
		t.Errorf("the package has no inspection record %s: %v", pipeline.InspectionFile, keys)
	}
	for k := range keys {
		if err := e.stores.Archive.Delete(context.Background(), k); !errors.Is(err, storage.ErrLocked) {
			t.Errorf("package object %s not locked: delete gave %v", k, err)
		}
	}
	var st queue.BatchDetail
	e.getJSON("/api/v1/batches/"+id, configs.RoleStaff, http.StatusOK, &st)
	if st.Status.State != state.BatchComplete {
		t.Errorf("after approval: %+v", st.Status)
	}
}

// archived returns the archive's objects of batch id (its package, audit mirrors left out).
func (e *testEnv) archived(id string) map[string]bool {
	e.t.Helper()
	keys := map[string]bool{}
	err := e.stores.Archive.List(context.Background(), id+"/", func(o storage.ObjectInfo) error {
		keys[o.Key] = true
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return keys
}

// pageImage returns the full rendering of page p of document doc of batch id, as staff.
func (e *testEnv) pageImage(id string, doc, p int) []byte {
	e.t.Helper()
	resp := e.do("GET", fmt.Sprintf("/api/v1/batches/%s/documents/%d/pages/%d/image", id, doc, p), configs.RoleStaff, nil, "")
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		e.t.Fatalf("page image %d/%d: %d %v", doc, p, resp.StatusCode, err)
	}
	return data
}

// poll waits until the JavaScript expression expr is true in the page.
func poll(ctx context.Context, expr string) error {
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr))
	return err
}

// reviewPlan returns batch id's review plan from the API.
func (e *testEnv) reviewPlan(id string) queue.ReviewPlan {
	e.t.Helper()
	var p queue.ReviewPlan
	e.getJSON("/api/v1/batches/"+id+"/review", configs.RoleStaff, http.StatusOK, &p)
	return p
}

// noError fails the test if the page shows an error after the action named what.
func (e *testEnv) noError(ctx context.Context, what string) {
	e.t.Helper()
	msg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById("error") || {}).textContent || ""`))
	if err != nil || msg != "" {
		e.t.Fatalf("%s refused: %q %v", what, msg, err)
	}
}
