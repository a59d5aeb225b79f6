package server

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
	"github.com/sohoa-vn/sohoa/pipeline/state"
)

// TestReviewScreen: the review screen shows the catalogue and page values side
// by side with the mismatch highlighted, the OCR text with the words under the
// threshold marked, the page's flags and a large rendering with zoom controls;
// the forms only while the batch is in review and only for roles that may review.
func TestReviewScreen(t *testing.T) {
	v, err := newViews()
	if err != nil {
		t.Fatal(err)
	}
	st := &queue.BatchStatus{ID: "b1", State: "review"}
	pg := &queue.PageDetail{Page: 1, File: "H49/1/page-001.jpg", State: queue.PageDone, Result: &queue.PageSum{Width: 2480, Flags: []string{"low-confidence"}}}
	doc := &queue.DocumentDetail{Doc: 0, Code: "H49.64.33.2025.02.VTLT.0000001", State: "done", Pages: []*queue.PageDetail{pg}}
	ls, low := lines([]ocr.Word{{Text: "Số:", Confidence: 95, Line: 1}, {Text: "312", Confidence: 41, Line: 1}, {Text: "Hà", Confidence: 90, Line: 2}})
	if low != 1 || len(ls) != 2 {
		t.Fatalf("lines %v, %d low", ls, low)
	}
	dv := reviewDocView{Batch: "b1", Summary: &BatchSummary{BatchStatus: st}, Doc: doc, Threshold: lowWordConfidence,
		Fields: []queue.FieldView{{Tag: "codeNumber", Catalogue: "313", Page: "312", Mismatch: true}, {Tag: "subject", Catalogue: "V/v giao nộp", Page: "V/v giao nộp"}},
		Pages:  []reviewPage{{PageDetail: pg, Lines: ls, Low: low}}}
	render := func(role string, open bool) string {
		t.Helper()
		dv.Review = &reviewDocState{Review: "unreviewed", Sampled: true, Open: open}
		var buf bytes.Buffer
		p := page{T: labels["vi"], Lang: "vi", Who: &principal{Role: role}, Data: dv}
		if err := v.pages["review"].ExecuteTemplate(&buf, "content", p); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	html := render("staff", true)
	for _, want := range []string{
		`<tr id="field-codeNumber" class="field mismatch" data-field="codeNumber"><th>Số</th><td class="catalogue">313</td><td class="page">312 <span class="flag">Mục lục khác với trang</span>`,
		`<tr id="field-subject" class="field" data-field="subject">`,
		`<span class="w low" title="41">312</span>`, `<span class="w" title="95">Số:</span>`,
		"dưới 70/100 (1 chữ)", `<span class="flag page-flag">độ tin cậy thấp</span>`,
		`/api/v1/batches/b1/documents/0/pages/1/image?width=1200`, `data-full-width="2480"`, `id="zoom-in-1"`,
		`id="accept"`, `id="correct-form"`, `id="replace-form-1"`, `id="reject-form"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the review screen lacks %q", want)
		}
	}
	if strings.Count(html, `class="field mismatch"`) != 1 {
		t.Errorf("%d mismatches highlighted, want 1", strings.Count(html, `class="field mismatch"`))
	}
	for role, open := range map[string]bool{"officer": true, "staff": false} {
		if html := render(role, open); strings.Contains(html, "<form") {
			t.Errorf("%s, batch open %v: the review screen shows forms", role, open)
		}
	}
}

// TestReviewListApprove: the review list offers Approve only when the plan is
// approvable (every sampled document accepted) and only to roles that may review.
func TestReviewListApprove(t *testing.T) {
	v, err := newViews()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		role       string
		approvable bool
		want       bool
	}{{"reviewer", true, true}, {"staff", true, true}, {"reviewer", false, false}, {"officer", true, false}} {
		plan := queue.ReviewPlan{Batch: "b1", State: state.BatchReview, Approvable: c.approvable,
			Documents: []queue.ReviewDoc{{Doc: 0, Code: "H49.1", State: state.DocDone, Review: state.ReviewAccepted, Sampled: true}}}
		lv := reviewListView{Summary: &BatchSummary{BatchStatus: &queue.BatchStatus{ID: "b1", State: state.BatchReview}}, Plan: plan}
		if !c.approvable {
			lv.Plan.Documents[0].Review, lv.Waiting = state.ReviewUnreviewed, 1
		}
		var buf bytes.Buffer
		p := page{T: labels["vi"], Lang: "vi", Who: &principal{Role: c.role}, Data: lv}
		if err := v.pages["reviewlist"].ExecuteTemplate(&buf, "content", p); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(buf.String(), `id="approve"`); got != c.want {
			t.Errorf("%s, approvable %v: Approve shown %v, want %v", c.role, c.approvable, got, c.want)
		}
		if !strings.Contains(buf.String(), `id="rdoc-0"`) {
			t.Errorf("%s: the document is not listed", c.role)
		}
	}
}

// TestReviewLabels: every label the review templates use, and the ones they
// build (fields, review states, audit actions), exists in Vietnamese and English.
func TestReviewLabels(t *testing.T) {
	used := map[string]bool{}
	for _, name := range []string{"review", "reviewlist"} {
		data, err := templateFS.ReadFile("templates/" + name + ".html")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`\$t\.(\w+)`).FindAllStringSubmatch(string(data), -1) {
			used[m[1]] = true
		}
	}
	for _, f := range queue.ReviewFields {
		used["field-"+f] = true
	}
	for _, k := range []string{"review-unreviewed", "review-accepted", "review-rejected", "audit-accept", "audit-reject", "audit-correct", "audit-approve", "audit-replace", "metadata-mismatch"} {
		used[k] = true
	}
	if len(used) < 30 {
		t.Fatalf("only %d labels found in the templates", len(used))
	}
	for k := range used {
		for _, l := range []string{"vi", "en"} {
			if labels[l][k] == "" {
				t.Errorf("label %q missing in %s", k, l)
			}
		}
	}
}
