package server

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline/metrics"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/s3"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// testEnv is a server on loopback with its own Redis database and buckets, and a token per role.
type testEnv struct {
	t       testing.TB
	url     string
	redis   string
	stores  queue.Stores
	q       *queue.Queue
	srv     *httptest.Server
	tokens  map[string]string // role -> token
	tempDir string
	cache   string              // the server's batch cache folder
	review  queue.ReviewOptions // the review step of the server's and workers' queues
}

func newEnv(t testing.TB, maxUpload int64, adjust ...func(*Config)) *testEnv {
	t.Helper()
	return newReviewEnv(t, maxUpload, queue.ReviewOptions{}, adjust...)
}

// newReviewEnv is newEnv with the queues' review step set to review; with
// review.Required the packages are locked (one-day governance retention),
// as on an installation with retention.
func newReviewEnv(t testing.TB, maxUpload int64, review queue.ReviewOptions, adjust ...func(*Config)) *testEnv {
	t.Helper()
	svc := testenv.Get(t)
	ctx := context.Background()
	prefix := testenv.BucketPrefix(t)
	bucket := func(name string, lock bool) storage.Store {
		s, err := s3.New(ctx, s3.Config{Endpoint: svc.S3Endpoint, Bucket: prefix + "-" + name, AccessKey: svc.S3AccessKey, SecretKey: svc.S3SecretKey, ObjectLock: lock})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	e := &testEnv{t: t, redis: testenv.RedisURL(t), tokens: map[string]string{}, tempDir: t.TempDir(), review: review}
	e.stores = queue.Stores{Inbox: bucket("inbox", false), Work: bucket("work", false), Archive: bucket("archive", true)}
	var err error
	e.cache = t.TempDir()
	e.q, err = queue.New(e.redis, e.stores, queue.Options{Retries: 1, CacheDir: e.cache, Logger: quietLogger(), Review: review, Retention: e.retention()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.q.Close() })
	var toks []configs.Token
	for _, role := range []string{configs.RoleStation, configs.RoleStaff, configs.RoleOfficer, configs.RoleAdmin, configs.RoleReviewer} {
		tok, sum, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[role] = tok
		toks = append(toks, configs.Token{Name: "test-" + role, Role: role, SHA256: sum})
	}
	opt, err := asynq.ParseRedisURI(e.redis)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Queue: e.q, Tokens: toks, RedisConnOpt: opt, MaxUpload: maxUpload, TempDir: e.tempDir, SecureCookie: true,
		Logger: quietLogger()}
	for _, f := range adjust {
		f(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(s.Handler())
	t.Cleanup(func() { e.srv.Close(); s.Close() })
	e.url = e.srv.URL
	return e
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// retention is the lock the env's queues put on package objects: none, or a day with review.Required.
func (e *testEnv) retention() func(time.Time) *storage.Retention {
	if !e.review.Required {
		return nil
	}
	return func(now time.Time) *storage.Retention {
		return &storage.Retention{Mode: storage.Governance, Until: now.Add(24 * time.Hour)}
	}
}

// startWorker runs queue tasks in this process with n OCR engines, recording metrics as "sohoa worker" does.
func (e *testEnv) startWorker(n int) {
	e.t.Helper()
	ro, err := redis.ParseURL(e.redis)
	if err != nil {
		e.t.Fatal(err)
	}
	mrdb := redis.NewClient(ro) // the recorder's own, as "sohoa worker" has
	e.t.Cleanup(func() { mrdb.Close() })
	wq, err := queue.New(e.redis, e.stores, queue.Options{Retries: 1, CacheDir: e.t.TempDir(), Logger: quietLogger(),
		Observer: metrics.NewRecorder(mrdb, quietLogger()), Review: e.review, Retention: e.retention()})
	if err != nil {
		e.t.Fatal(err)
	}
	pool, err := ocr.NewPool(n, ocr.Options{Languages: "vie"})
	if err != nil {
		e.t.Fatal(err)
	}
	srv := asynq.NewServerFromRedisClient(wq.Redis(), wq.ServerConfig(n))
	if err := srv.Start(wq.Handler(pool)); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { srv.Shutdown(); pool.Close(); wq.Close() })
}

// do sends a request with role's token ("" for none).
func (e *testEnv) do(method, path, role string, body io.Reader, ctype string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[role])
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// getJSON GETs path as role, checks the status and decodes the body into v.
func (e *testEnv) getJSON(path, role string, want int, v any) {
	e.t.Helper()
	resp := e.do("GET", path, role, nil, "")
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("GET %s as %s: %d, want %d: %s", path, role, resp.StatusCode, want, body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			e.t.Fatalf("GET %s: %v: %s", path, err, body)
		}
	}
}

// waitFinished polls the API until batch id is packaged.
func (e *testEnv) waitFinished(id string, limit time.Duration) *BatchSummary {
	e.t.Helper()
	return e.waitUntil(id, limit, (*queue.BatchStatus).Finished)
}

// waitRetried polls the API until batch id has finished after its n-th retry.
func (e *testEnv) waitRetried(id string, n int, limit time.Duration) *BatchSummary {
	e.t.Helper()
	return e.waitUntil(id, limit, func(s *queue.BatchStatus) bool { return s.Retries >= n && s.Finished() })
}

// waitUntil polls the API until done holds for batch id, in its detail and in the list.
func (e *testEnv) waitUntil(id string, limit time.Duration, done func(*queue.BatchStatus) bool) *BatchSummary {
	e.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var d queue.BatchDetail
		e.getJSON("/api/v1/batches/"+id, configs.RoleStation, http.StatusOK, &d)
		if done(d.Status) {
			// The list is cached for up to detailTTL.
			for range 50 {
				var list struct{ Batches []*BatchSummary }
				e.getJSON("/api/v1/batches", configs.RoleStaff, http.StatusOK, &list)
				for _, b := range list.Batches {
					if b.ID == id && done(b.BatchStatus) {
						return b
					}
				}
				time.Sleep(100 * time.Millisecond)
			}
			e.t.Fatalf("batch %s finished but not listed as finished", id)
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("batch %s not finished after %v: %+v", id, limit, d.Status)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// batchFiles returns a small batch "<id>/<hồ sơ>/<n>/page-001.<ext>" built from
// testdata samples: document 1 is a corrupt TIFF (image data zeroed) when corrupt is set.
func batchFiles(t testing.TB, id string, corrupt bool) map[string][]byte {
	t.Helper()
	read := func(p string) []byte {
		data, err := os.ReadFile(filepath.Join("../../testdata/samples", p))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	const code = "H49.64.33.2024.01.VTLT"
	files := map[string][]byte{
		id + "/" + code + "/2/page-001.jpg": read("qd-chinh-ly-p01.jpg"),
		id + "/" + code + "/3/page-001.png": read("cv-giao-nop-p01.png"),
	}
	if corrupt {
		tif := read("tt-so-hoa-p01.tif")
		// The header stays whole (validation passes); the image data is zeros.
		clear(tif[len(tif)/3 : len(tif)-4096])
		files[id+"/"+code+"/1/page-001.tif"] = tif
	}
	return files
}

// tarOf returns files as a tar stream, in name order.
func tarOf(t testing.TB, files map[string][]byte) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(files[n])
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// upload sends files as a tar stream with the station token and returns the batch id.
func (e *testEnv) upload(files map[string][]byte) string {
	e.t.Helper()
	resp := e.do("POST", "/api/v1/batches", configs.RoleStation, tarOf(e.t, files), "application/x-tar")
	defer resp.Body.Close()
	var res struct {
		BatchID string `json:"batchId"`
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(body, &res) != nil || res.BatchID == "" {
		e.t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	return res.BatchID
}

// metric returns the value of the sample named name (with labels, as in the exposition) in /metrics.
func (e *testEnv) metric(name string) float64 {
	e.t.Helper()
	resp := e.do("GET", "/metrics", configs.RoleStaff, nil, "")
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("/metrics: %d %s", resp.StatusCode, body)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var x float64
			fmt.Sscan(v, &x)
			return x
		}
	}
	e.t.Fatalf("/metrics has no %s:\n%s", name, body)
	return 0
}
