package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/s3"
)

// trickle sends a request head and then its body one byte every pace, as a
// slow-body attacker does, until the server answers or closes; it returns
// the status line. The connection's own deadline (limit) only stops a test
// of a server that never answers.
func trickle(t *testing.T, addr, head string, pace, limit time.Duration) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(limit))
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the attacker's pace, not a synchronisation
		defer wg.Done()
		tick := time.NewTicker(pace)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := c.Write([]byte{'a'}); err != nil {
					return
				}
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("no answer to a trickling body: %v", err)
	}
	return strings.TrimSpace(line)
}

// TestSlowBody: bodies that trickle are cut off (item 7): an unauthenticated
// login and an upload, each answered 408 once the body falls behind the
// minimum rate, and the upload's temporary folder is gone.
func TestSlowBody(t *testing.T) {
	e := newEnv(t, 64<<20, func(c *Config) {
		c.Limits = Limits{BodyGrace: 200 * time.Millisecond, MinBodyRate: 100}
	})
	addr := strings.TrimPrefix(e.url, "http://")
	const pace, limit = 20 * time.Millisecond, time.Minute // 50 bytes/s, under the 100 bytes/s minimum
	line := trickle(t, addr, "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3000\r\n\r\ntoken=", pace, limit)
	if !strings.HasPrefix(line, "HTTP/1.1 408") {
		t.Errorf("trickling login: %q, want 408", line)
	}
	line = trickle(t, addr, "POST /api/v1/batches HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+e.tokens[configs.RoleStation]+
		"\r\nContent-Type: application/x-tar\r\nContent-Length: 1000000\r\n\r\n", pace, limit)
	if !strings.HasPrefix(line, "HTTP/1.1 408") {
		t.Errorf("trickling upload: %q, want 408", line)
	}
	e.assertNothingLeft("trickling upload")

	// A body at a good pace is not cut off, however long it takes past the grace time.
	var body bytes.Buffer
	body.WriteString("token=" + e.tokens[configs.RoleStaff] + "&next=/&pad=")
	body.WriteString(strings.Repeat("p", 3000-body.Len()))
	pr, pw := io.Pipe()
	go func() {
		for chunk := range slicesOf(body.Bytes(), 1000) {
			pw.Write(chunk)
		}
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", e.url+"/login", pr)
	req.ContentLength = int64(body.Len())
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a login at a good pace: %v %v", resp, err)
	}
}

// slicesOf yields b in pieces of n bytes.
func slicesOf(b []byte, n int) func(func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(b) > 0 {
			k := min(n, len(b))
			if !yield(b[:k]) {
				return
			}
			b = b[k:]
		}
	}
}

// TestLoginBodyLimit: a login body over the limit is refused (item 7).
func TestLoginBodyLimit(t *testing.T) {
	e := newEnv(t, 64<<20)
	resp := e.do("POST", "/login", "", strings.NewReader("token=x&pad="+strings.Repeat("p", 8<<10)), "application/x-www-form-urlencoded")
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("8 KiB login body: %d, want 413", resp.StatusCode)
	}
}

// TestUploadSlots: uploads beyond the cap per token, then beyond the cap in
// total, get 429 while the others are held; a slot is free again once its
// upload ends (item 7).
func TestUploadSlots(t *testing.T) {
	started := make(chan struct{}, 8)
	tok2, sum2, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, 64<<20, func(c *Config) {
		c.Limits = Limits{MaxUploads: 2, MaxUploadsPerToken: 1}
		c.Tokens = append(c.Tokens, configs.Token{Name: "test-station-2", Role: configs.RoleStation, SHA256: sum2})
		c.uploadStarted = func() { started <- struct{}{} }
	})
	e.tokens["station2"] = tok2
	// hold starts an upload as role whose body does not come until released.
	type held struct {
		pw   *io.PipeWriter
		done chan int
	}
	hold := func(role string) held {
		pr, pw := io.Pipe()
		h := held{pw, make(chan int, 1)}
		go func() {
			req, _ := http.NewRequest("POST", e.url+"/api/v1/batches", pr)
			req.Header.Set("Authorization", "Bearer "+e.tokens[role])
			req.Header.Set("Content-Type", "application/x-tar")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				h.done <- 0
				return
			}
			resp.Body.Close()
			h.done <- resp.StatusCode
		}()
		<-started
		return h
	}
	status := func(role string) (int, string) {
		resp := e.do("POST", "/api/v1/batches", role, strings.NewReader("not a tar"), "application/x-tar")
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(data)
	}
	a := hold(configs.RoleStation)
	if code, body := status(configs.RoleStation); code != http.StatusTooManyRequests || !strings.Contains(body, "this token") {
		t.Errorf("second upload of one token: %d %s, want 429", code, body)
	}
	b := hold(configs.RoleAdmin)
	if code, body := status("station2"); code != http.StatusTooManyRequests || !strings.Contains(body, "the server already") {
		t.Errorf("third upload in all: %d %s, want 429", code, body)
	}
	for _, h := range []held{a, b} { // each ends with a body that is not a tar: 400, its slot free
		io.WriteString(h.pw, "not a tar")
		h.pw.Close()
		if code := <-h.done; code != http.StatusBadRequest {
			t.Errorf("held upload: %d, want 400", code)
		}
	}
	if code, body := status(configs.RoleStation); code != http.StatusBadRequest {
		t.Errorf("upload after the others ended: %d %s, want 400 (not a tar)", code, body)
	}
	if len(started) != 1 {
		t.Errorf("%d uploads started after the held ones, want 1", len(started))
	}
}

// TestStationSeesOwn: a station lists and reads only the batches its token
// uploaded; other stations' batches are as if they did not exist (item 11).
func TestStationSeesOwn(t *testing.T) {
	tok2, sum2, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, 64<<20, func(c *Config) {
		c.Tokens = append(c.Tokens, configs.Token{Name: "test-station-2", Role: configs.RoleStation, SHA256: sum2})
	})
	e.tokens["station2"] = tok2
	id := e.upload(batchFiles(t, "lo-tram-1", false)) // as the station
	var list struct{ Batches []*BatchSummary }
	e.getJSON("/api/v1/batches", "station2", 200, &list)
	if len(list.Batches) != 0 {
		t.Errorf("another station lists %d batches: %+v", len(list.Batches), list.Batches[0].BatchStatus)
	}
	resp := e.do("GET", "/api/v1/batches/"+id, "station2", nil, "")
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || bytes.Contains(data, []byte("H49.64.33.2024.01.VTLT")) || bytes.Contains(data, []byte("page-001")) {
		t.Errorf("another station reads the detail: %d %s", resp.StatusCode, data)
	}
	var unknown apiError
	e.getJSON("/api/v1/batches/lo-khong-co", "station2", 404, &unknown)
	var hidden apiError
	json2(t, data, &hidden)
	if hidden.Code != unknown.Code || strings.ReplaceAll(hidden.Message, id, "ID") != strings.ReplaceAll(unknown.Message, "lo-khong-co", "ID") {
		t.Errorf("a hidden batch answers otherwise than an unknown one: %+v, %+v", hidden, unknown)
	}
	// The uploading station sees it; staff see it with who uploaded it.
	e.getJSON("/api/v1/batches", configs.RoleStation, 200, &list)
	if len(list.Batches) != 1 || list.Batches[0].ID != id {
		t.Errorf("the station's own list: %+v", list.Batches)
	}
	var d queue.BatchDetail
	e.getJSON("/api/v1/batches/"+id, configs.RoleStation, 200, &d)
	if d.Status == nil || d.Status.ID != id || d.Status.Pages != 2 {
		t.Errorf("the station's own batch: %+v", d.Status)
	}
	e.getJSON("/api/v1/batches", configs.RoleStaff, 200, &list)
	if len(list.Batches) != 1 || list.Batches[0].Uploader != "test-station" {
		t.Errorf("staff list: %+v", list.Batches)
	}
}

func json2(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
}

// TestSecretMasked: the title, subject and file names of a secret hồ sơ and
// its document appear in no answer of any role, dashboard or JSON, failure
// reasons included; its package is refused even to officers and admins
// (item 10).
func TestSecretMasked(t *testing.T) {
	e := newEnv(t, 64<<20, func(c *Config) { c.Load.Isolated = true })
	e.startWorker(1)
	tif, err := os.ReadFile("../../testdata/samples/tt-so-hoa-p01.tif")
	if err != nil {
		t.Fatal(err)
	}
	const (
		title   = "Hồ sơ bảo vệ bí mật nhà nước"
		subject = "Kế hoạch bảo vệ bí mật"
		fname   = "ke-hoach-bi-mat.tif"
	)
	id := e.upload(map[string][]byte{
		"lo-mat-1/batch.json": []byte(`{"id": "lo-mat-1", "files": [{"fileCode": "H49.64.33.2024.01.VTLT", "mode": "03", "title": "` + title + `",
			"paperFileCode": "H49.K1.G3.H12.45", "documents": [{"docOrdinal": 1, "mode": "03", "subject": "` + subject + `"}]}]}`),
		"lo-mat-1/H49.64.33.2024.01.VTLT/1/" + fname: corruptTIFF(tif, len(tif)/3), // corrupt: it fails, with a reason naming the file
	})
	sum := e.waitFinished(id, testenv.WaitLimit)
	if sum.PagesFailed != 1 {
		t.Fatalf("the corrupt secret page did not fail: %+v", sum.BatchStatus)
	}
	secrets := []string{title, subject, fname, "ke-hoach-bi-mat"}
	for _, role := range []string{configs.RoleStation, configs.RoleStaff, configs.RoleOfficer, configs.RoleAdmin} {
		paths := []string{"/api/v1/batches", "/api/v1/batches/" + id}
		if role != configs.RoleStation {
			paths = append(paths, "/", "/batches/"+id, "/batches/"+id+"?fragment=1", "/batches/"+id+"?lang=en")
		}
		for _, p := range paths {
			resp := e.do("GET", p, role, nil, "")
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("GET %s as %s: %d", p, role, resp.StatusCode)
			}
			for _, s := range secrets {
				if bytes.Contains(data, []byte(s)) {
					t.Errorf("GET %s as %s shows %q: %s", p, role, s, data)
				}
			}
		}
	}
	// The failure is still there, its reason masked.
	var d queue.BatchDetail
	e.getJSON("/api/v1/batches/"+id, configs.RoleStaff, 200, &d)
	if pg := d.Files[0].Documents[0].Pages[0]; pg.State != queue.PageFailed || pg.Reason == "" || !d.Files[0].Documents[0].Secret {
		t.Errorf("secret failed page = %+v", pg)
	}
	for _, role := range []string{configs.RoleOfficer, configs.RoleAdmin} {
		resp := e.do("GET", "/api/v1/batches/"+id+"/package", role, nil, "")
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !bytes.Contains(data, []byte(`"secret"`)) || !bytes.Contains(data, []byte("offline")) {
			t.Errorf("package of a secret batch as %s: %d %.300s", role, resp.StatusCode, data)
		}
	}
	resp := e.do("GET", "/batches/"+id, configs.RoleOfficer, nil, "")
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if bytes.Contains(html, []byte("/package")) || !bytes.Contains(html, []byte("bàn giao ngoại tuyến")) {
		t.Errorf("the dashboard offers the package of a secret batch: %s", html)
	}
}

// proxy forwards TCP connections to target until closed: an outage of a
// real service, as its clients see it.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { io.Copy(u, c); u.Close() }()
			go func() { io.Copy(c, u); c.Close() }()
		}
	}()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

// close stops the proxy and cuts its connections: the service is unreachable.
func (p *proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// TestReadyzQuiet: /readyz, open to anyone, says only what is unavailable;
// addresses, bucket names and errors go to the log (item 18).
func TestReadyzQuiet(t *testing.T) {
	svc := testenv.Get(t)
	redisP := newProxy(t, svc.RedisAddr)
	s3P := newProxy(t, svc.S3Endpoint)
	var logBuf syncBuffer
	const bucket = "readyz-secret-bucket"
	e := newEnv(t, 1<<20, func(c *Config) {
		ctx := context.Background()
		st := func(name string) storage.Store {
			s, err := s3.New(ctx, s3.Config{Endpoint: s3P.addr(), Bucket: fmt.Sprintf("%s-%s-%d", bucket, name, time.Now().UnixNano()%1e6),
				AccessKey: svc.S3AccessKey, SecretKey: svc.S3SecretKey})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		q, err := queue.New(fmt.Sprintf("redis://%s/%d", redisP.addr(), testenv.RedisDB(t)), queue.Stores{Inbox: st("inbox"), Work: st("work"), Archive: st("archive")},
			queue.Options{CacheDir: t.TempDir(), Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { q.Close() })
		c.Queue = q
		c.Logger = newTextLogger(&logBuf)
	})
	var ready map[string]string
	e.getJSON("/readyz", "", 200, &ready)
	if ready["redis"] != "ok" || ready["s3"] != "ok" {
		t.Fatalf("readyz before the outage = %v", ready)
	}
	redisP.close()
	s3P.close()
	resp := e.do("GET", "/readyz", "", nil, "")
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz in an outage: %d %s", resp.StatusCode, data)
	}
	ready = nil
	json2(t, data, &ready)
	if len(ready) != 2 || ready["redis"] != "unavailable" || ready["s3"] != "unavailable" {
		t.Errorf("readyz in an outage = %s, want only redis and s3 unavailable", data)
	}
	for _, leak := range []string{redisP.addr(), s3P.addr(), "127.0.0.1", bucket, "dial", "refused"} {
		if bytes.Contains(data, []byte(leak)) {
			t.Errorf("readyz shows %q: %s", leak, data)
		}
	}
	if log := logBuf.String(); !strings.Contains(log, "readyz: redis unavailable") || !strings.Contains(log, "readyz: s3 unavailable") || !strings.Contains(log, s3P.addr()) {
		t.Errorf("the details are not in the log: %s", log)
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a test at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newTextLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
