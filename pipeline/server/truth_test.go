package server

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
)

// TestExplain: technical failures become a Vietnamese sentence and an action
// (English on request); an unknown one still gets a sentence.
func TestExplain(t *testing.T) {
	cases := []struct{ stage, reason, sentence, action string }{
		{"decode", "scan: page 1: truncated LZW data", "Tệp ảnh bị hỏng, không đọc được", "quét lại trang này"},
		{"", "failed: page 1: decode: scan: unexpected EOF", "Tệp ảnh bị hỏng, không đọc được", "quét lại trang này"},
		{"package", "seal: pkcs11: token not present", "Không ký số được", "USB token"},
		{"ocr", "tesseract: no text", "Không nhận dạng được chữ trên trang", "Chạy lại"},
		{"", "the document carries the secrecy mark MẬT", "Tài liệu có dấu mật", "hệ thống biệt lập"},
		{"", "something odd", "Xử lý bị lỗi", "báo quản trị viên"},
	}
	for _, c := range cases {
		e := explain("vi", c.stage, c.reason)
		if !strings.HasPrefix(e.Sentence, c.sentence) || !strings.Contains(e.Action, c.action) {
			t.Errorf("explain(%q, %q) = %+v, want %q … %q", c.stage, c.reason, e, c.sentence, c.action)
		}
	}
	if e := explain("en", "decode", "x"); e.Sentence != "The image file is damaged and cannot be read" {
		t.Errorf("English: %+v", e)
	}
}

// TestPhase: a queued batch with no worker says so; one whose documents are
// all done is being packaged; a finished one has no phase.
func TestPhase(t *testing.T) {
	st := &queue.BatchStatus{State: queue.StateQueued, Documents: 3, DocumentsDone: 2, DocumentsFailed: 1}
	if p := phase(st, 0); p != phaseNoWorker {
		t.Errorf("no worker: %q", p)
	}
	if p := phase(st, 1); p != phasePackaging {
		t.Errorf("all documents done: %q", p)
	}
	st.DocumentsFailed = 0
	if p := phase(st, 1); p != "" {
		t.Errorf("still working: %q", p)
	}
	if p := phase(st, -1); p != "" {
		t.Errorf("workers unknown: %q", p)
	}
	st.State = queue.StateComplete
	if p := phase(st, 0); p != "" {
		t.Errorf("complete: %q", p)
	}
}

// TestRecentPace: the pace is measured over the last five minutes, not since submission.
func TestRecentPace(t *testing.T) {
	var p paces
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if _, ok := p.rate("b", t0, 0); ok {
		t.Error("a pace from one sample")
	}
	// 10 slow minutes (1 page a minute), then 2 fast minutes (10 pages a minute).
	for m := 1; m <= 10; m++ {
		p.rate("b", t0.Add(time.Duration(m)*time.Minute), m)
	}
	for m := 1; m <= 2; m++ {
		p.rate("b", t0.Add(time.Duration(10+m)*time.Minute), 10+10*m)
	}
	r, ok := p.rate("b", t0.Add(12*time.Minute), 30)
	// Over the last 5 minutes (from minute 7, 7 pages): 23 pages in 5 minutes.
	if !ok || r < 4.5 || r > 4.7 {
		t.Errorf("recent pace %v %v, want 4.6 pages/min (the whole run's is 2.5)", r, ok)
	}
}

// TestDashboardTruth: with no worker running, queued batches say "chờ xử lý
// – không có worker nào đang chạy" (and in English with ?lang=en); times are
// in ICT with the zone; the list searches batch ids and mã hồ sơ, filters by
// state and turns pages; the queue monitor link is shown only to roles that
// may open it (not to officers).
func TestDashboardTruth(t *testing.T) {
	e := newEnv(t, 64<<20, func(c *Config) { c.ListPageSize = 1 })
	for _, id := range []string{"web-truth-1", "web-truth-2"} {
		e.upload(batchFiles(t, id, false))
	}
	_, staff := e.loginAs(url.Values{"token": {e.tokens[configs.RoleStaff]}})
	_, officer := e.loginAs(url.Values{"token": {e.tokens[configs.RoleOfficer]}})
	rows := regexp.MustCompile(`data-batch="([^"]+)"`)
	list := func(c *http.Cookie, query string) (ids []string, body string) {
		t.Helper()
		code, body := e.withCookie("/?"+query, c)
		if code != 200 {
			t.Fatalf("list ?%s: %d %s", query, code, body)
		}
		for _, m := range rows.FindAllStringSubmatch(body, -1) {
			ids = append(ids, m[1])
		}
		return ids, body
	}
	ids, body := list(staff, "lang=vi")
	if strings.Join(ids, " ") != "web-truth-2" || !strings.Contains(body, "Trang 1/2 (2 lô)") || !strings.Contains(body, `href="/?page=2"`) {
		t.Errorf("first page: %v\n%s", ids, body)
	}
	if !strings.Contains(body, "chờ xử lý – không có worker nào đang chạy") {
		t.Errorf("no worker running, not said:\n%s", body)
	}
	if !regexp.MustCompile(`\d\d:\d\d:\d\d \d\d/\d\d/\d{4} ICT`).MatchString(body) {
		t.Errorf("no time in ICT:\n%s", body)
	}
	if !strings.Contains(body, `id="monitor"`) {
		t.Error("staff see no queue monitor link")
	}
	if ids, _ := list(staff, "page=2"); strings.Join(ids, " ") != "web-truth-1" {
		t.Errorf("second page: %v", ids)
	}
	if ids, _ := list(staff, "q=WEB-TRUTH-1"); strings.Join(ids, " ") != "web-truth-1" {
		t.Errorf("search by batch id: %v", ids)
	}
	if ids, body := list(staff, "q=h49.64.33.2024.01.vtlt"); len(ids) != 1 || !strings.Contains(body, "Trang 1/2 (2 lô)") {
		t.Errorf("search by mã hồ sơ: %v", ids)
	}
	if ids, body := list(staff, "state=complete"); len(ids) != 0 || !strings.Contains(body, "Không có lô nào khớp.") {
		t.Errorf("state filter complete: %v", ids)
	}
	if ids, _ := list(staff, "state=queued&q=truth-2"); strings.Join(ids, " ") != "web-truth-2" {
		t.Errorf("state filter queued with search: %v", ids)
	}
	if _, body := list(staff, "lang=en"); !strings.Contains(body, "waiting – no worker is running") {
		t.Errorf("English: no-worker state not said")
	}
	_, body = list(officer, "lang=vi")
	if strings.Contains(body, `href="/monitor/"`) {
		t.Error("officers are shown the queue monitor link, which they cannot open")
	}
	if code, _ := e.withCookie("/monitor/", officer); code != http.StatusForbidden {
		t.Errorf("officer opening the monitor: %d", code)
	}
	// The batch page says it too.
	if code, body := e.withCookie("/batches/web-truth-1", staff); code != 200 || !strings.Contains(body, "chờ xử lý – không có worker nào đang chạy") {
		t.Errorf("batch page: %d\n%s", code, body)
	}
}
