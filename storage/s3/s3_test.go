package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/sohoa-vn/sohoa/pipeline/testenv"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/s3/s3test"
	"github.com/sohoa-vn/sohoa/storage/storagetest"
)

// testConfig returns the MinIO started by scripts/with-services.sh, failing the test when there is none.
func testConfig(t testing.TB) Config {
	t.Helper()
	svc := testenv.Get(t)
	return Config{
		Endpoint:  svc.S3Endpoint,
		Bucket:    randomBucket(t),
		AccessKey: svc.S3AccessKey,
		SecretKey: svc.S3SecretKey,
	}
}

func randomBucket(t testing.TB) string {
	return "sohoa-test-" + testenv.BucketPrefix(t)
}

// newTestStore returns a Store on a fresh bucket, removed after the test unless it is locked.
func newTestStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	s, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New(%s, bucket %s): %v", cfg.Endpoint, cfg.Bucket, err)
	}
	if !cfg.ObjectLock {
		t.Cleanup(func() {
			s.client.RemoveBucketWithOptions(context.Background(), cfg.Bucket, minio.RemoveBucketOptions{ForceDelete: true})
		})
	}
	return s
}

func hexSum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store { return newTestStore(t, testConfig(t)) })
}

// The suite again on a locked (hence versioned) bucket, where Delete removes versions one by one.
func TestConformanceLockedBucket(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		cfg := testConfig(t)
		cfg.ObjectLock = true
		return newTestStore(t, cfg)
	})
}

func TestChecksumRejectedByServer(t *testing.T) {
	s := newTestStore(t, testConfig(t))
	content := []byte("bytes the server will hash")
	wrong := hexSum([]byte("what the caller thought it sent"))
	// Size and SHA-256 given: the content goes straight to the server, which is the only one that can notice.
	_, err := s.Put(t.Context(), "k", bytes.NewReader(content), int64(len(content)), storage.PutOptions{SHA256: wrong})
	if !errors.Is(err, storage.ErrChecksum) {
		t.Fatalf("Put with wrong SHA-256 = %v, want ErrChecksum", err)
	}
	var resp minio.ErrorResponse
	if !errors.As(err, &resp) || resp.StatusCode != http.StatusBadRequest || resp.RequestID == "" {
		t.Fatalf("Put with wrong SHA-256 = %v, want the server's 400 response", err)
	}
	t.Logf("server refused: HTTP %d %s: %s", resp.StatusCode, resp.Code, resp.Message)
	if _, err := s.Stat(t.Context(), "k"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("Stat after refused Put = %v, want ErrNotExist", err)
	}
	// The right checksum passes, and is stored both as checksum and as metadata.
	if _, err := s.Put(t.Context(), "k", bytes.NewReader(content), int64(len(content)), storage.PutOptions{SHA256: hexSum(content)}); err != nil {
		t.Fatal(err)
	}
	oi, err := s.client.StatObject(t.Context(), s.bucket, "k", minio.StatObjectOptions{Checksum: true})
	if err != nil {
		t.Fatal(err)
	}
	raw := sha256.Sum256(content)
	if oi.ChecksumSHA256 == "" || oi.UserMetadata[metaSHA256] != hexSum(content) {
		t.Errorf("stored checksum %q, metadata %v; want SHA-256 %x in both", oi.ChecksumSHA256, oi.UserMetadata, raw)
	}
}

func TestObjectLock(t *testing.T) {
	cfg := testConfig(t)
	cfg.ObjectLock = true
	s := newTestStore(t, cfg)
	ctx := t.Context()
	original := []byte("Quyết định 12/QĐ-UBND, bản gốc")
	until := time.Now().Add(3 * time.Minute).Truncate(time.Second)
	opts := storage.PutOptions{Retention: &storage.Retention{Mode: storage.Compliance, Until: until}}
	if _, err := s.Put(ctx, "sealed/qd12.pdf", bytes.NewReader(original), int64(len(original)), opts); err != nil {
		t.Fatalf("Put with retention: %v", err)
	}
	mode, retainUntil, err := s.client.GetObjectRetention(ctx, s.bucket, "sealed/qd12.pdf", "")
	if err != nil || mode == nil || *mode != minio.Compliance || retainUntil == nil || !retainUntil.Equal(until) {
		t.Fatalf("retention = %v until %v, %v; want COMPLIANCE until %v", mode, retainUntil, err, until)
	}
	versions := func() []minio.ObjectInfo {
		var vs []minio.ObjectInfo
		for oi := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: "sealed/", WithVersions: true, Recursive: true}) {
			if oi.Err != nil {
				t.Fatal(oi.Err)
			}
			vs = append(vs, oi)
		}
		return vs
	}
	vs := versions()
	if len(vs) != 1 {
		t.Fatalf("%d versions after Put, want 1", len(vs))
	}
	locked := vs[0].VersionID
	readVersion := func(v string) ([]byte, error) {
		obj, err := s.client.GetObject(ctx, s.bucket, "sealed/qd12.pdf", minio.GetObjectOptions{VersionID: v})
		if err != nil {
			return nil, err
		}
		defer obj.Close()
		return io.ReadAll(obj)
	}

	// The Store refuses to delete or overwrite it.
	if err := s.Delete(ctx, "sealed/qd12.pdf"); !errors.Is(err, storage.ErrLocked) || storage.IsTransient(err) {
		t.Errorf("Delete of a retained object = %v, want permanent ErrLocked", err)
	}
	if _, err := s.Put(ctx, "sealed/qd12.pdf", strings.NewReader("forged"), 6, storage.PutOptions{}); !errors.Is(err, storage.ErrExists) {
		t.Errorf("Put over a retained object = %v, want ErrExists", err)
	}

	// MinIO itself refuses to delete the locked version, whoever asks.
	err = s.client.RemoveObject(ctx, s.bucket, "sealed/qd12.pdf", minio.RemoveObjectOptions{VersionID: locked})
	if err == nil {
		t.Fatal("raw delete of the locked version succeeded")
	}
	t.Logf("raw delete of the locked version refused: %s %q", errorResponse(err).Code, err)
	// ... and a conditional overwrite; an unconditional one makes a new version that hides, but cannot replace, it.
	po := minio.PutObjectOptions{}
	po.SetMatchETagExcept("*")
	_, err = s.client.PutObject(ctx, s.bucket, "sealed/qd12.pdf", strings.NewReader("forged"), 6, po)
	if errorResponse(err).StatusCode != http.StatusPreconditionFailed {
		t.Errorf("raw conditional overwrite = %v, want 412 Precondition Failed", err)
	}
	if _, err := s.client.PutObject(ctx, s.bucket, "sealed/qd12.pdf", strings.NewReader("forged"), 6, minio.PutObjectOptions{}); err != nil {
		t.Fatalf("raw unconditional overwrite: %v", err)
	}
	if vs := versions(); len(vs) != 2 {
		t.Fatalf("%d versions after raw overwrite, want 2", len(vs))
	}
	if st, err := s.Stat(ctx, "sealed/qd12.pdf"); err == nil && st.SHA256 == hexSum(original) {
		t.Errorf("Stat after raw overwrite reports the original: the overwrite test did not take effect")
	} else {
		t.Logf("after a raw overwrite, Stat = %+v, %v (why callers must check the SHA-256 they recorded)", st, err)
	}
	// Store.Delete now removes the unlocked new version but must stop at the locked one.
	if err := s.Delete(ctx, "sealed/qd12.pdf"); !errors.Is(err, storage.ErrLocked) {
		t.Errorf("Delete after raw overwrite = %v, want ErrLocked", err)
	}
	if got, err := readVersion(locked); err != nil || !bytes.Equal(got, original) {
		t.Errorf("locked version = %q, %v; want the original %q", got, err, original)
	}
	if err := s.client.RemoveObject(ctx, s.bucket, "sealed/qd12.pdf", minio.RemoveObjectOptions{VersionID: locked}); err == nil {
		t.Error("raw delete of the locked version at the end succeeded")
	}
	// Shortening a COMPLIANCE retention is refused too.
	shorter := time.Now().Add(time.Minute)
	cm := minio.Compliance
	err = s.client.PutObjectRetention(ctx, s.bucket, "sealed/qd12.pdf", minio.PutObjectRetentionOptions{Mode: &cm, RetainUntilDate: &shorter, VersionID: locked})
	if err == nil {
		t.Error("shortening a COMPLIANCE retention succeeded")
	}

	// Retention on a bucket without object lock is refused before uploading.
	plain := newTestStore(t, testConfig(t))
	if _, err := plain.Put(ctx, "x", strings.NewReader("x"), 1, opts); err == nil {
		t.Error("Put with retention into a bucket without object lock succeeded")
	}
}

func TestNewRequiresLockAtCreation(t *testing.T) {
	cfg := testConfig(t)
	newTestStore(t, cfg)
	cfg.ObjectLock = true
	if _, err := New(t.Context(), cfg); err == nil {
		t.Error("New with ObjectLock on an existing bucket without lock succeeded")
	}
	// Opening an existing bucket again is fine (many workers share one).
	cfg.ObjectLock = false
	if _, err := New(t.Context(), cfg); err != nil {
		t.Errorf("New on an existing bucket: %v", err)
	}
}

// faultProxy forwards to MinIO, or answers 503 while failing > 0 (counting down), or not at all once closed.
// It notes the method of every request it is sent, with the payload hash
// header of a PUT (requests). With hideChecksums it drops the checksums
// from MinIO's answers, as servers do that do not verify them; with
// corrupt it changes the first byte of every object body it passes.
type faultProxy struct {
	srv           *httptest.Server
	failing       atomic.Int32
	failed        atomic.Int32
	hideChecksums atomic.Bool
	corrupt       atomic.Bool

	mu   sync.Mutex
	reqs []string
}

// requests returns the requests noted since the last call ("HEAD", "PUT <x-amz-content-sha256>") and forgets them.
func (p *faultProxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.reqs
	p.reqs = nil
	return r
}

func newFaultProxy(t *testing.T, endpoint string) *faultProxy {
	p := &faultProxy{}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: endpoint})
	rp.ModifyResponse = func(r *http.Response) error {
		if p.hideChecksums.Load() {
			for k := range r.Header {
				if strings.HasPrefix(strings.ToLower(k), "x-amz-checksum-") {
					r.Header.Del(k)
				}
			}
		}
		if p.corrupt.Load() && r.Request.Method == http.MethodGet && r.StatusCode == http.StatusOK {
			r.Body = &flipFirst{ReadCloser: r.Body}
		}
		return nil
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		note := r.Method
		if r.Method == http.MethodPut {
			note += " " + r.Header.Get("X-Amz-Content-Sha256")
		}
		p.mu.Lock()
		p.reqs = append(p.reqs, note)
		p.mu.Unlock()
		if p.failing.Add(-1) >= 0 {
			p.failed.Add(1)
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>fake</RequestId></Error>`)
			return
		}
		p.failing.Store(0)
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// flipFirst changes the first byte read from a body.
type flipFirst struct {
	io.ReadCloser
	done bool
}

func (f *flipFirst) Read(p []byte) (int, error) {
	n, err := f.ReadCloser.Read(p)
	if n > 0 && !f.done {
		p[0] ^= 0xff
		f.done = true
	}
	return n, err
}

func (p *faultProxy) endpoint() string { return strings.TrimPrefix(p.srv.URL, "http://") }

func TestTransientErrors(t *testing.T) {
	cfg := testConfig(t)
	proxy := newFaultProxy(t, cfg.Endpoint)
	cfg.Endpoint = proxy.endpoint()
	s := newTestStore(t, cfg)
	ctx := t.Context()
	if _, err := s.Put(ctx, "k", strings.NewReader("v"), 1, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}

	// Server overloaded: 503 SlowDown.
	ops := map[string]func() error{
		"put":    func() error { _, err := s.Put(ctx, "k2", strings.NewReader("v"), 1, storage.PutOptions{}); return err },
		"get":    func() error { _, err := s.Get(ctx, "k"); return err },
		"stat":   func() error { _, err := s.Stat(ctx, "k"); return err },
		"list":   func() error { return s.List(ctx, "", func(storage.ObjectInfo) error { return nil }) },
		"delete": func() error { return s.Delete(ctx, "k") },
	}
	for name, op := range ops {
		proxy.failing.Store(1)
		if err := op(); !storage.IsTransient(err) {
			t.Errorf("%s on HTTP 503 = %v, want a transient error", name, err)
		}
	}
	proxy.failing.Store(0)

	// Wrong credentials: permanent.
	bad := cfg
	bad.SecretKey = "not-the-secret"
	if _, err := New(ctx, bad); err == nil || storage.IsTransient(err) {
		t.Errorf("New with a wrong secret = %v, want a permanent error", err)
	}

	// Server gone: connection refused.
	proxy.srv.Close()
	for name, op := range ops {
		if err := op(); !storage.IsTransient(err) {
			t.Errorf("%s with the server down = %v, want a transient error", name, err)
		}
	}
	if _, err := New(ctx, cfg); !storage.IsTransient(err) {
		t.Errorf("New with the server down = %v, want a transient error", err)
	}
	// A cancelled context is the caller's decision, not a fault.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Stat(cctx, "k"); err == nil || storage.IsTransient(err) {
		t.Errorf("Stat with a cancelled context = %v, want a permanent error", err)
	}
}

// TestPutRoundTrips checks what a Put costs in requests: a new small object
// one PUT (conditional, and the server's verified checksum in its answer
// says what was stored), a small object already there a PUT refused and a
// HEAD to compare; a large one is looked for first, so that putting it
// again sends no body. The body is never signed chunk by chunk
// (UNSIGNED-PAYLOAD): the server checks it against the signed
// x-amz-checksum-sha256 instead.
func TestPutRoundTrips(t *testing.T) {
	cfg := testConfig(t)
	proxy := newFaultProxy(t, cfg.Endpoint)
	cfg.Endpoint = proxy.endpoint()
	s := newTestStore(t, cfg)
	small, large := []byte("a small object"), bytes.Repeat([]byte("large "), probeSize/6+1)
	const put = "PUT UNSIGNED-PAYLOAD"
	for _, c := range []struct {
		name, key string
		body      []byte
		absent    bool
		want      []string
	}{
		{"new small object", "rt/small", small, false, []string{put}},
		{"small object again", "rt/small", small, false, []string{put, "HEAD"}}, // refused (412), then looked at
		{"new large object", "rt/large", large, false, []string{"HEAD", put}},
		{"new large object known absent", "rt/large2", large, true, []string{put}},
		{"large object again, wrongly said absent", "rt/large2", large, true, []string{put, "HEAD"}},
		{"large object again", "rt/large", large, false, []string{"HEAD"}},
	} {
		key := c.key
		proxy.requests()
		info, err := s.Put(t.Context(), key, bytes.NewReader(c.body), int64(len(c.body)), storage.PutOptions{SHA256: hexSum(c.body), Absent: c.absent})
		if err != nil || info.SHA256 != hexSum(c.body) || info.Size != int64(len(c.body)) {
			t.Fatalf("%s: Put = %+v, %v", c.name, info, err)
		}
		if got := proxy.requests(); !slices.Equal(got, c.want) {
			t.Errorf("%s: requests %q, want %q", c.name, got, c.want)
		}
	}
	// A Get is one request, found or not.
	rc, err := s.Get(t.Context(), "rt/small")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, small) {
		t.Errorf("Get = %q, %v; want %q", got, err, small)
	}
	rc.Close()
	if _, err := s.Get(t.Context(), "rt/missing"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("Get of a missing key = %v, want ErrNotExist", err)
	}
	if got, want := proxy.requests(), []string{"GET", "GET"}; !slices.Equal(got, want) {
		t.Errorf("Get of a stored and a missing key: requests %q, want %q", got, want)
	}
	// A server that does not say which checksum it verified is asked what it stored.
	proxy.hideChecksums.Store(true)
	if info, err := s.Put(t.Context(), "rt/unconfirmed", bytes.NewReader(small), int64(len(small)), storage.PutOptions{SHA256: hexSum(small)}); err != nil || info.SHA256 != hexSum(small) {
		t.Fatalf("Put without a confirmed checksum = %+v, %v", info, err)
	}
	if got, want := proxy.requests(), []string{put, "HEAD"}; !slices.Equal(got, want) {
		t.Errorf("Put without a confirmed checksum: requests %q, want %q", got, want)
	}
}

// TestConfigTransport checks that the store sends its requests through
// Config.Transport (what the queue's benchmark counts them with).
func TestConfigTransport(t *testing.T) {
	cfg := testConfig(t)
	reqs, err := s3test.NewRequests()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Transport = reqs
	s := newTestStore(t, cfg)
	reqs.Take() // New's look at the bucket
	reqs.TakeBytes()
	if _, err := s.Stat(t.Context(), "missing"); !errors.Is(err, storage.ErrNotExist) {
		t.Fatalf("Stat of a missing key = %v", err)
	}
	if err := s.Delete(t.Context(), "missing"); err != nil {
		t.Fatal(err)
	}
	if got, want := reqs.Take(), map[string]int{"HEAD": 1, "DELETE": 1}; !maps.Equal(got, want) {
		t.Errorf("requests through Config.Transport = %v, want %v", got, want)
	}
	// The bodies: 3,000 bytes sent by a Put, then received by a Get; a
	// Stat's answer declares them too but carries none.
	content := bytes.Repeat([]byte("trang "), 500) // 3,000 bytes
	reqs.TakeBytes()                               // the errors' answers above
	if _, err := s.Put(t.Context(), "counted", bytes.NewReader(content), int64(len(content)), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if sent, received := reqs.TakeBytes(); sent != 3000 || received != 0 {
		t.Errorf("after a Put of 3000 bytes: sent %d, received %d; want 3000, 0", sent, received)
	}
	rc, err := s.Get(t.Context(), "counted")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(rc); err != nil || len(got) != 3000 {
		t.Fatalf("Get = %d bytes, %v", len(got), err)
	}
	rc.Close()
	if _, err := s.Stat(t.Context(), "counted"); err != nil {
		t.Fatal(err)
	}
	if sent, received := reqs.TakeBytes(); sent != 0 || received != 3000 {
		t.Errorf("after a Get and a Stat of 3000 bytes: sent %d, received %d; want 0, 3000", sent, received)
	}
}

// TestGetVerifiesChecksum checks that bytes altered on the way from the
// server fail the read at EOF: Get verifies the checksum stored at Put.
func TestGetVerifiesChecksum(t *testing.T) {
	cfg := testConfig(t)
	proxy := newFaultProxy(t, cfg.Endpoint)
	cfg.Endpoint = proxy.endpoint()
	s := newTestStore(t, cfg)
	content := []byte("Biên bản giao nhận hồ sơ")
	if _, err := s.Put(t.Context(), "k", bytes.NewReader(content), int64(len(content)), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	proxy.corrupt.Store(true)
	rc, err := s.Get(t.Context(), "k")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, err := io.ReadAll(rc); err == nil || storage.IsTransient(err) {
		t.Errorf("reading an object altered on the way = %q, %v; want a permanent checksum error", got, err)
	}
}

func TestRetryOverS3(t *testing.T) {
	cfg := testConfig(t)
	proxy := newFaultProxy(t, cfg.Endpoint)
	cfg.Endpoint = proxy.endpoint()
	s := storage.WithRetry(newTestStore(t, cfg), storage.RetryPolicy{Initial: 5 * time.Millisecond, Budget: 10 * time.Second})
	content := bytes.Repeat([]byte("trang "), 100000)
	proxy.failing.Store(3)
	info, err := s.Put(t.Context(), "retried", bytes.NewReader(content), int64(len(content)), storage.PutOptions{})
	if err != nil || info.SHA256 != hexSum(content) {
		t.Fatalf("Put through 3 HTTP 503s = %+v, %v", info, err)
	}
	if proxy.failed.Load() != 3 {
		t.Errorf("proxy failed %d requests, want 3", proxy.failed.Load())
	}
	proxy.failing.Store(2)
	rc, err := s.Get(t.Context(), "retried")
	if err != nil {
		t.Fatalf("Get through 2 HTTP 503s: %v", err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, content) {
		t.Errorf("Get = %d bytes, %v; want %d bytes", len(got), err, len(content))
	}
}

func TestNewUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = New(t.Context(), Config{Endpoint: addr, Bucket: "b-unreachable", AccessKey: "a", SecretKey: "b", Region: "us-east-1"})
	if !storage.IsTransient(err) {
		t.Errorf("New on a closed port = %v, want a transient error", err)
	}
}

func BenchmarkPut(b *testing.B) {
	if os.Getenv("SOHOA_TEST_S3_ENDPOINT") == "" {
		b.Skip("no MinIO: run through scripts/with-services.sh go test -bench . ./storage/s3")
	}
	s := newTestStore(b, testConfig(b))
	content := bytes.Repeat([]byte("sohoa"), (1<<20)/5)
	b.SetBytes(int64(len(content)))
	for i := 0; b.Loop(); i++ {
		if _, err := s.Put(b.Context(), fmt.Sprintf("b/%d", i), bytes.NewReader(content), int64(len(content)), storage.PutOptions{SHA256: hexSum(content)}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCopyConformance(t *testing.T) {
	storagetest.RunCopy(t, func(t *testing.T) storage.CopyStore { return newTestStore(t, testConfig(t)) }, false)
}

func TestCopyConformanceLockedBucket(t *testing.T) {
	storagetest.RunCopy(t, func(t *testing.T) storage.CopyStore {
		cfg := testConfig(t)
		cfg.ObjectLock = true
		return newTestStore(t, cfg)
	}, true)
}

func TestDeleteAllConformance(t *testing.T) {
	storagetest.RunDeleteAll(t, func(t *testing.T) storage.Store { return newTestStore(t, testConfig(t)) }, false, 1003)
}

// In a locked bucket DeleteMany removes each key's versions one by one, and stops at retained ones.
func TestDeleteAllConformanceLockedBucket(t *testing.T) {
	storagetest.RunDeleteAll(t, func(t *testing.T) storage.Store {
		cfg := testConfig(t)
		cfg.ObjectLock = true
		return newTestStore(t, cfg)
	}, true, 20)
}

// TestDeleteManyRoundTrips checks that DeleteMany sends one request for up
// to 1000 keys, and that a request refused as a whole leaves a transient
// error on each of its keys.
func TestDeleteManyRoundTrips(t *testing.T) {
	cfg := testConfig(t)
	proxy := newFaultProxy(t, cfg.Endpoint)
	cfg.Endpoint = proxy.endpoint()
	s := newTestStore(t, cfg)
	var keys []string
	for i := range 5 {
		k := fmt.Sprintf("w/%d", i)
		if _, err := s.Put(t.Context(), k, strings.NewReader(k), int64(len(k)), storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	proxy.requests()
	proxy.failing.Store(1)
	err := s.DeleteMany(t.Context(), keys)
	if kes := storage.KeyErrors(err); len(kes) != len(keys) || !storage.IsTransient(kes[0].Err) {
		t.Errorf("DeleteMany through an HTTP 503 = %v, want a transient error on each of the %d keys", err, len(keys))
	}
	if err := s.DeleteMany(t.Context(), keys); err != nil {
		t.Fatal(err)
	}
	if got, want := proxy.requests(), []string{"POST", "POST"}; !slices.Equal(got, want) {
		t.Errorf("two DeleteMany of %d keys: requests %q, want %q", len(keys), got, want)
	}
	for _, k := range keys {
		if _, err := s.Stat(t.Context(), k); !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("Stat(%q) after DeleteMany = %v, want ErrNotExist", k, err)
		}
	}
}
