package server

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
	"github.com/sohoa-vn/sohoa/storage"
)

// TestRoles checks that every role is refused what it may not do, and that
// nothing but the health checks answers without a token.
func TestRoles(t *testing.T) {
	e := newEnv(t, 64<<20)
	const (
		none    = ""
		station = configs.RoleStation
		staff   = configs.RoleStaff
		officer = configs.RoleOfficer
		admin   = configs.RoleAdmin
	)
	type req struct{ method, path string }
	cases := []struct {
		req
		role string
		want int
	}{
		{req{"GET", "/healthz"}, none, 200},
		{req{"GET", "/metrics"}, none, 401},
		{req{"GET", "/api/v1/batches"}, none, 401},
		{req{"POST", "/api/v1/batches"}, none, 401},
		{req{"GET", "/api/v1/batches/x/package"}, none, 401},
		{req{"POST", "/api/v1/batches/x/retry"}, none, 401},
		{req{"GET", "/monitor/"}, none, 303}, // to the login page
		{req{"GET", "/"}, none, 303},
		{req{"GET", "/batches/x"}, none, 303},

		{req{"GET", "/api/v1/batches/x/package"}, station, 403}, // a station cannot read packages
		{req{"GET", "/api/v1/batches/x/documents/0/pdf"}, station, 403},
		{req{"GET", "/api/v1/batches/x/documents/0/pages/1/thumbnail"}, station, 403},
		{req{"POST", "/api/v1/batches/x/retry"}, station, 403},
		{req{"GET", "/metrics"}, station, 403},
		{req{"GET", "/"}, station, 403},
		{req{"GET", "/monitor/"}, station, 403},
		{req{"GET", "/api/v1/batches"}, station, 200},

		{req{"POST", "/api/v1/batches"}, staff, 403},
		{req{"GET", "/api/v1/batches/x/package"}, staff, 403},
		{req{"GET", "/api/v1/batches"}, staff, 200},
		{req{"GET", "/metrics"}, staff, 200},
		{req{"GET", "/"}, staff, 200},
		{req{"GET", "/monitor/"}, staff, 200},
		{req{"POST", "/api/v1/batches/x/retry"}, staff, 404},

		{req{"POST", "/api/v1/batches"}, officer, 403},
		{req{"POST", "/api/v1/batches/x/retry"}, officer, 403},
		{req{"GET", "/metrics"}, officer, 403},
		{req{"GET", "/api/v1/batches/x/package"}, officer, 404},

		{req{"GET", "/api/v1/batches/x/package"}, admin, 404},
		{req{"GET", "/monitor/"}, admin, 200},
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, c := range cases {
		r, _ := http.NewRequest(c.method, e.url+c.path, nil)
		if c.role != "" {
			r.Header.Set("Authorization", "Bearer "+e.tokens[c.role])
		}
		resp, err := client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s %s as %q: %d, want %d: %.200s", c.method, c.path, c.role, resp.StatusCode, c.want, body)
		}
		if c.want == 401 || c.want == 403 {
			var ae apiError
			if json.Unmarshal(body, &ae) != nil || ae.Code == "" || ae.Message == "" {
				t.Errorf("%s %s as %q: not a JSON error: %s", c.method, c.path, c.role, body)
			}
		}
	}
	// A wrong token and a malformed header are refused.
	r, _ := http.NewRequest("GET", e.url+"/api/v1/batches", nil)
	r.Header.Set("Authorization", "Bearer sohoa_not-a-token")
	if resp, err := http.DefaultClient.Do(r); err != nil || resp.StatusCode != 401 {
		t.Errorf("unknown token: %v %v", resp.StatusCode, err)
	}
	// /readyz checks Redis and S3 without a token.
	var ready map[string]string
	e.getJSON("/readyz", "", 200, &ready)
	if ready["redis"] != "ok" || ready["s3"] != "ok" {
		t.Errorf("readyz = %v", ready)
	}
}

// TestLogin: the login page exchanges a token for a Secure, HttpOnly,
// SameSite=Strict cookie, which opens the dashboard; a wrong token does not.
func TestLogin(t *testing.T) {
	e := newEnv(t, 64<<20)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(e.url+"/login", map[string][]string{"token": {"sohoa_wrong"}})
	if err != nil || resp.StatusCode != 401 {
		t.Fatalf("wrong token: %v %v", resp.StatusCode, err)
	}
	resp, err = client.PostForm(e.url+"/login", map[string][]string{"token": {e.tokens[configs.RoleStaff]}, "next": {"https://evil.example/"}})
	if err != nil || resp.StatusCode != 303 {
		t.Fatalf("login: %v %v", resp.StatusCode, err)
	}
	if loc := resp.Header.Get("Location"); loc != "/" {
		t.Errorf("redirect to %q, want /", loc)
	}
	var c *http.Cookie
	for _, k := range resp.Cookies() {
		if k.Name == cookieName {
			c = k
		}
	}
	if c == nil || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie = %+v", c)
	}
	r, _ := http.NewRequest("GET", e.url+"/?lang=en", nil)
	r.AddCookie(&http.Cookie{Name: cookieName, Value: c.Value})
	resp, err = client.Do(r)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("dashboard with cookie: %v %v", resp.StatusCode, err)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "No batches yet.") {
		t.Errorf("English dashboard: %s", body)
	}
	// A state change with the cookie from another site is refused.
	r, _ = http.NewRequest("POST", e.url+"/batches/x/retry", nil)
	r.AddCookie(&http.Cookie{Name: cookieName, Value: c.Value})
	r.Header.Set("Origin", "https://evil.example")
	if resp, err := client.Do(r); err != nil || resp.StatusCode != 403 {
		t.Errorf("cross-site retry: %v %v", resp.StatusCode, err)
	}
}

// assertNothingLeft checks that a refused upload left no object in the inbox,
// no batch in Redis and no temporary files.
func (e *testEnv) assertNothingLeft(what string) {
	e.t.Helper()
	n := 0
	e.stores.Inbox.List(context.Background(), "", func(storage.ObjectInfo) error { n++; return nil })
	ids, err := e.q.Batches(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	keys, _ := e.q.Redis().Keys(context.Background(), "sohoa:batch*").Result()
	left, _ := os.ReadDir(e.tempDir)
	if n != 0 || len(ids) != 0 || len(keys) != 0 || len(left) != 0 {
		e.t.Errorf("%s left %d inbox objects, batches %v, keys %v, temp files %d", what, n, ids, keys, len(left))
	}
}

// zeros is an endless stream of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestUploadRefused: malformed uploads get clear JSON errors and leave nothing behind.
func TestUploadRefused(t *testing.T) {
	e := newEnv(t, 8<<20)
	post := func(body io.Reader, ctype string) (int, apiError) {
		resp := e.do("POST", "/api/v1/batches", configs.RoleStation, body, ctype)
		defer resp.Body.Close()
		var ae apiError
		data, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(data, &ae); err != nil {
			t.Errorf("not JSON: %s", data)
		}
		return resp.StatusCode, ae
	}

	code, ae := post(strings.NewReader("this is not a tar stream at all, just some text"), "application/x-tar")
	if code != 400 || ae.Code != "malformed" {
		t.Errorf("not a tar: %d %+v", code, ae)
	}
	e.assertNothingLeft("not a tar")

	code, ae = post(strings.NewReader("x"), "text/plain")
	if code != 415 {
		t.Errorf("text/plain: %d %+v", code, ae)
	}

	// A tar of files that are not a batch: no page images.
	code, ae = post(tarOf(t, map[string][]byte{"b1/readme.txt": []byte("hello")}), "application/x-tar")
	if code != 422 || ae.Code != "invalid_batch" {
		t.Errorf("not a batch: %d %+v", code, ae)
	}
	e.assertNothingLeft("not a batch")

	// Bad metadata: the same problems as "sohoa validate", as JSON.
	files := batchFiles(t, "bad-meta", false)
	files["bad-meta/batch.json"] = []byte(`{"id": "bad-meta", "files": [{"fileCode": "H49.64.33.2024.01.VTLT", "maintenance": "99", "startDate": "31/02/2024"}]}`)
	code, ae = post(tarOf(t, files), "application/x-tar")
	if code != 422 || ae.Code != "invalid_batch" || len(ae.Problems) < 2 {
		t.Errorf("bad metadata: %d %+v", code, ae)
	}
	found := false
	for _, p := range ae.Problems {
		if strings.Contains(p.Field, "maintenance") && p.Value == "99" {
			found = true
		}
	}
	if !found {
		t.Errorf("bad metadata: no problem names files[0].maintenance: %+v", ae.Problems)
	}
	e.assertNothingLeft("bad metadata")

	// Issue 10 items 4 and 5: a batch.json in Windows-1258, and a page that
	// records 150 dpi uploaded with ?dpi=300, are refused like "sohoa validate".
	files = batchFiles(t, "lo-1258", false)
	files["lo-1258/batch.json"] = []byte("{\"id\": \"lo-1258\", \"organisation\": {\"name\": \"S\xf4 N\xf4i v\xf9\"}}")
	low := append([]byte(nil), files["lo-1258/H49.64.33.2024.01.VTLT/2/page-001.jpg"]...)
	if string(low[6:10]) != "JFIF" {
		t.Fatal("sample is not JFIF")
	}
	low[13], low[14], low[15], low[16], low[17] = 1, 0, 150, 0, 150
	files["lo-1258/H49.64.33.2024.01.VTLT/2/page-001.jpg"] = low
	resp := e.do("POST", "/api/v1/batches?dpi=300", configs.RoleStation, tarOf(t, files), "application/x-tar")
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	ae = apiError{}
	json.Unmarshal(data, &ae)
	var utf8Named, dpiNamed bool
	for _, p := range ae.Problems {
		utf8Named = utf8Named || p.File == "batch.json" && strings.Contains(p.What, "not valid UTF-8 at byte offset 45")
		dpiNamed = dpiNamed || p.File == "H49.64.33.2024.01.VTLT/2/page-001.jpg" && strings.Contains(p.What, "150 dpi (as recorded in the file)")
	}
	if resp.StatusCode != 422 || !utf8Named || !dpiNamed {
		t.Errorf("Windows-1258 batch.json and a 150-dpi page with ?dpi=300: %d %s", resp.StatusCode, data)
	}
	e.assertNothingLeft("Windows-1258 and 150 dpi")

	// Files at the top of the upload, without a batch folder or an id.
	code, ae = post(tarOf(t, map[string][]byte{"H49.64.33.2024.01.VTLT/1/page-001.jpg": []byte("x"),
		"H49.64.33.2025.02.VTLT/1/page-001.jpg": []byte("x")}), "application/x-tar")
	if code != 422 || len(ae.Problems) != 1 || ae.Problems[0].Field != "id" {
		t.Errorf("no batch id: %d %+v", code, ae)
	}
	e.assertNothingLeft("no batch id")

	// A tar stream cut short in the middle of a file.
	cut := tarOf(t, batchFiles(t, "cut", false)).Bytes()
	code, ae = post(bytes.NewReader(cut[:len(cut)/2]), "application/x-tar")
	if code != 400 || ae.Code != "malformed" {
		t.Errorf("truncated tar: %d %+v", code, ae)
	}
	e.assertNothingLeft("truncated tar")

	// A path out of the batch folder.
	code, ae = post(tarOf(t, map[string][]byte{"../escape.jpg": []byte("x")}), "application/x-tar")
	if code != 400 || !strings.Contains(ae.Message, "bad file name") {
		t.Errorf("path escape: %d %+v", code, ae)
	}
	e.assertNothingLeft("path escape")

	// 2 GB, streamed (no Content-Length), over the 8 MiB limit: refused
	// once the limit is passed, without reading the rest.
	const big = 2 << 30
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		tw.WriteHeader(&tar.Header{Name: "huge/H49.64.33.2024.01.VTLT/1/page-001.tif", Mode: 0o644, Size: big, Typeflag: tar.TypeReg})
		_, err := io.CopyN(tw, zeros{}, big)
		pw.CloseWithError(err)
	}()
	start := time.Now()
	code, ae = post(pr, "application/x-tar")
	pr.CloseWithError(errors.New("test done"))
	if code != 413 || ae.Code != "too_large" {
		t.Errorf("2 GB upload: %d %+v", code, ae)
	}
	t.Logf("2 GB upload refused in %v", time.Since(start))
	e.assertNothingLeft("2 GB upload")

	// The same with a declared Content-Length: refused before reading.
	req, _ := http.NewRequest("POST", e.url+"/api/v1/batches", io.LimitReader(zeros{}, big))
	req.ContentLength = big
	req.Header.Set("Authorization", "Bearer "+e.tokens[configs.RoleStation])
	req.Header.Set("Content-Type", "application/x-tar")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 413 {
		t.Errorf("2 GB upload with Content-Length: %v %v", resp, err)
	}
	e.assertNothingLeft("2 GB upload with Content-Length")
}

// TestUploadProcessDownload uploads a batch as a multipart form, watches it
// complete through the API, downloads its package as an officer and checks
// the bag; /metrics then shows the pages and their stage timings.
func TestUploadProcessDownload(t *testing.T) {
	e := newEnv(t, 64<<20)
	e.startWorker(2)
	files := batchFiles(t, "web-ok-1", false)
	// The PNG written again without its resolution: it is flagged low-dpi,
	// processed at the upload's ?dpi=300.
	pngName := "web-ok-1/H49.64.33.2024.01.VTLT/3/page-001.png"
	img, err := png.Decode(bytes.NewReader(files[pngName]))
	if err != nil {
		t.Fatal(err)
	}
	var noDPI bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&noDPI, img); err != nil {
		t.Fatal(err)
	}
	files[pngName] = noDPI.Bytes()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for name, data := range files {
		w, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	mw.Close()
	resp := e.do("POST", "/api/v1/batches?dpi=300", configs.RoleStation, &body, mw.FormDataContentType())
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(string(data), `"batchId": "web-ok-1"`) {
		t.Fatalf("upload: %d %s", resp.StatusCode, data)
	}
	sum := e.waitFinished("web-ok-1", testenv.WaitLimit)
	if sum.State != queue.StateComplete || sum.PagesDone != 2 || sum.PagesFailed != 0 || sum.PagesFlagged != 1 || sum.PagesPerMinute <= 0 {
		t.Errorf("summary = %+v %+v", sum, sum.BatchStatus)
	}

	var d queue.BatchDetail
	e.getJSON("/api/v1/batches/web-ok-1", configs.RoleStaff, 200, &d)
	if len(d.Files) != 1 || len(d.Files[0].Documents) != 2 {
		t.Fatalf("detail = %+v", d)
	}
	for _, doc := range d.Files[0].Documents {
		pg := doc.Pages[0]
		if doc.State != "done" || pg.State != queue.PageDone || pg.Result == nil || pg.Result.Words == 0 || pg.Result.Confidence <= 0 {
			t.Errorf("document %+v page %+v", doc, pg)
		}
	}
	// The server keeps the batch's structure, not its originals.
	if left, _ := os.ReadDir(e.cache); len(left) != 0 {
		t.Errorf("the server keeps %d files of the batch", len(left))
	}
	if pg := d.Files[0].Documents[1].Pages[0]; !pg.LowDPI || pg.DPI != 300 {
		t.Errorf("page without resolution: %+v", pg)
	}
	resp = e.do("GET", "/api/v1/batches/web-ok-1/documents/0/pages/1/thumbnail", configs.RoleStaff, nil, "")
	thumb, err := jpeg.Decode(resp.Body)
	resp.Body.Close()
	if err != nil || thumb.Bounds().Dx() != thumbWidth {
		t.Errorf("thumbnail: %v", err)
	}
	resp = e.do("GET", "/api/v1/batches/web-ok-1/documents/1/pdf", configs.RoleStaff, nil, "")
	pdf, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("pdf: %d %.40q", resp.StatusCode, pdf)
	}

	// The officer downloads the package; it is a valid bag.
	resp = e.do("GET", "/api/v1/batches/web-ok-1/package", configs.RoleOfficer, nil, "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-tar" {
		t.Fatalf("package: %d", resp.StatusCode)
	}
	dir := t.TempDir()
	n := untarTo(t, resp.Body, dir)
	resp.Body.Close()
	problems, err := bag.Validate(filepath.Join(dir, "web-ok-1"))
	if err != nil || len(problems) != 0 || n < 6 {
		t.Errorf("bag of %d files: %v %v", n, problems, err)
	}

	// Metrics: page counters, stage histograms, confidence, batches, asynq.
	if v := e.metric("sohoa_pages_processed_total"); v != 2 {
		t.Errorf("sohoa_pages_processed_total = %v, want 2", v)
	}
	for _, st := range []string{"decode", "normalize", "ocr", "encode", "pdf", "upload"} {
		if v := e.metric(`sohoa_stage_duration_seconds_count{stage="` + st + `"}`); v < 2 && st != "pdf" || v < 1 {
			t.Errorf("stage %s count = %v", st, v)
		}
	}
	if v := e.metric(`sohoa_stage_duration_seconds_sum{stage="ocr"}`); v <= 0 {
		t.Errorf("ocr seconds = %v", v)
	}
	if v := e.metric("sohoa_ocr_confidence_count"); v != 2 {
		t.Errorf("confidence count = %v", v)
	}
	if v := e.metric(`sohoa_batches{state="complete"}`); v != 1 {
		t.Errorf("complete batches = %v", v)
	}
	if v := e.metric(`sohoa_http_request_duration_seconds_count{code="202",handler="api_upload",method="post"}`); v != 1 {
		t.Errorf("upload requests timed = %v", v)
	}
	// The batch task and the two page tasks; the documents and the package
	// run in the task that finishes the stage before (queue's handOff).
	if v := e.metric(`asynq_tasks_processed_total{queue="default"}`); v < 3 {
		t.Errorf("asynq processed = %v", v)
	}
}

// untarTo extracts a tar stream into dir and returns the number of files.
func untarTo(t *testing.T, r io.Reader, dir string) int {
	t.Helper()
	tr := tar.NewReader(r)
	n := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, filepath.FromSlash(h.Name))
		os.MkdirAll(filepath.Dir(dst), 0o755)
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
		n++
	}
}

// TestRetry: a failed page is retried through the API while the batch runs;
// its failure is cleared, the page runs again (and, still corrupt, fails again).
func TestRetry(t *testing.T) {
	e := newEnv(t, 64<<20)
	e.startWorker(1)
	id := e.upload(batchFiles(t, "web-retry-1", true))
	sum := e.waitFinished(id, testenv.WaitLimit)
	if sum.State != queue.StateIncomplete || sum.PagesFailed != 1 {
		t.Fatalf("first run: %+v", sum.BatchStatus)
	}
	var d queue.BatchDetail
	e.getJSON("/api/v1/batches/"+id, configs.RoleStaff, 200, &d)
	if pg := d.Files[0].Documents[0].Pages[0]; pg.State != queue.PageFailed || pg.Stage != "decode" || pg.Reason == "" {
		t.Fatalf("failed page = %+v", pg)
	}
	resp := e.do("POST", "/api/v1/batches/"+id+"/retry", configs.RoleStaff, strings.NewReader(`{"documents":[0]}`), "application/json")
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(string(data), `"pagesRetried": 1`) {
		t.Fatalf("retry: %d %s", resp.StatusCode, data)
	}
	sum = e.waitRetried(id, 1, testenv.WaitLimit)
	if sum.State != queue.StateIncomplete || sum.PagesDone != 2 || sum.PagesFailed != 1 {
		t.Errorf("after retry: %+v", sum.BatchStatus)
	}
	if v := e.metric(`sohoa_pages_failed_total{stage="decode"}`); v != 2 {
		t.Errorf("decode failures = %v, want 2 (the first run and the retry)", v)
	}
	// A document that did not fail is not retried.
	resp = e.do("POST", "/api/v1/batches/"+id+"/retry", configs.RoleStaff, strings.NewReader(`{"documents":[1]}`), "application/json")
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("retry of a document that did not fail: %d, want 400", resp.StatusCode)
	}
}

// TestSecret: a secret document (mode 03, accepted on an isolated
// installation) is processed, but neither its thumbnails, its PDF nor its
// subject are shown by the dashboard or the API.
func TestSecret(t *testing.T) {
	e := newEnv(t, 64<<20, func(c *Config) { c.Load.Isolated = true })
	e.startWorker(1)
	jpg, err := os.ReadFile("../../testdata/samples/qd-chinh-ly-p01.jpg")
	if err != nil {
		t.Fatal(err)
	}
	const subject = "Kế hoạch bảo vệ bí mật"
	id := e.upload(map[string][]byte{
		"web-secret-1/batch.json": []byte(`{"id": "web-secret-1", "files": [{"fileCode": "H49.64.33.2024.01.VTLT", "mode": "03",
			"paperFileCode": "H49.K1.G3.H12.45", "documents": [{"docOrdinal": 1, "mode": "03", "subject": "` + subject + `"}]}]}`),
		"web-secret-1/H49.64.33.2024.01.VTLT/1/page-001.jpg": jpg,
	})
	if sum := e.waitFinished(id, testenv.WaitLimit); sum.State != queue.StateComplete {
		t.Fatalf("secret batch: %+v", sum.BatchStatus)
	}
	for _, p := range []string{"/documents/0/pages/1/thumbnail", "/documents/0/pdf", "/documents/0/pages/1/image", "/documents/0/pages/1/image?width=800"} {
		resp := e.do("GET", "/api/v1/batches/"+id+p, configs.RoleAdmin, nil, "")
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s of a secret document: %d", p, resp.StatusCode)
		}
	}
	resp := e.do("GET", "/batches/"+id+"/documents/0/review", configs.RoleAdmin, nil, "")
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("review screen of a secret document: %d", resp.StatusCode)
	}
	resp = e.do("GET", "/batches/"+id, configs.RoleAdmin, nil, "")
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || bytes.Contains(html, []byte("<img")) || bytes.Contains(html, []byte(subject)) || bytes.Contains(html, []byte("/pdf")) {
		t.Errorf("secret document shown: %d %s", resp.StatusCode, html)
	}
	if !bytes.Contains(html, []byte("Tài liệu mật")) {
		t.Errorf("no secret notice: %s", html)
	}
	resp = e.do("GET", "/api/v1/batches/"+id, configs.RoleStaff, nil, "")
	js, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if bytes.Contains(js, []byte(subject)) || !bytes.Contains(js, []byte(`"secret": true`)) {
		t.Errorf("secret document in the API: %s", js)
	}
}
