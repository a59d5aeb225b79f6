package queue

import (
	"bytes"
	"context"
	"crypto/x509"
	"io"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/pades"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/s3"
)

// countingStore counts Puts and Gets.
type countingStore struct {
	storage.Store
	puts, gets atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	c.gets.Add(1)
	return c.Store.Get(ctx, key)
}

func (c *countingStore) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	c.puts.Add(1)
	return c.Store.Put(ctx, key, r, size, opts)
}

// offStore is an inbox on a station switched off during a submit: it stores
// the submit's first two files, the first only after the second (so that
// they finish out of order, as parallel uploads may), and holds every other
// put until the submit's context is cancelled, storing nothing: what the
// station left is then exactly those two, whatever was in flight.
type offStore struct {
	storage.Store
	first, second string // keys
	secondDone    chan struct{}
}

// switchedOff returns an offStore over s for a submit of b.
func switchedOff(s storage.Store, b *pipeline.Batch) *offStore {
	files := batchFiles(b)
	return &offStore{Store: s, first: inboxKey(b.ID, files[0]), second: inboxKey(b.ID, files[1]), secondDone: make(chan struct{})}
}

func (o *offStore) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	switch key {
	case o.second:
		defer close(o.secondDone)
		return o.Store.Put(ctx, key, r, size, opts)
	case o.first:
		select {
		case <-o.secondDone:
			return o.Store.Put(ctx, key, r, size, opts)
		case <-ctx.Done():
			return storage.ObjectInfo{}, ctx.Err()
		}
	}
	<-ctx.Done()
	return storage.ObjectInfo{}, ctx.Err()
}

// newTestQueue returns a Queue on a Redis database of its own (testenv) and
// fresh buckets, its inbox and its Redis URL.
func newTestQueue(t testing.TB) (*Queue, *countingStore, string) {
	t.Helper()
	url := testenv.RedisURL(t)
	prefix := testenv.BucketPrefix(t)
	inbox := &countingStore{Store: newBucket(t, prefix+"-inbox", false)}
	q, err := New(url, Stores{Inbox: inbox, Work: newBucket(t, prefix+"-work", false), Archive: newBucket(t, prefix+"-archive", false)},
		Options{Retries: 1, CacheDir: t.TempDir(), CleanWork: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q, inbox, url
}

// newBucket returns a store on the test MinIO's bucket name, object-locked when lock is set.
func newBucket(t testing.TB, name string, lock bool) *s3.Store {
	t.Helper()
	svc := testenv.Get(t)
	s, err := s3.New(context.Background(), s3.Config{Endpoint: svc.S3Endpoint, Bucket: name, AccessKey: svc.S3AccessKey, SecretKey: svc.S3SecretKey, ObjectLock: lock})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func loadSample(t *testing.T) *pipeline.Batch {
	t.Helper()
	b, err := pipeline.Load(context.Background(), "../../testdata/batch", pipeline.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMain(m *testing.M) { testenv.Main(m) }

// startWorker runs the queue's handlers in this process with n OCR engines.
func startWorker(tb testing.TB, q *Queue, n int) (*ocr.Pool, func()) {
	tb.Helper()
	pool, err := ocr.NewPool(n, ocr.Options{Languages: "vie"})
	if err != nil {
		tb.Fatal(err)
	}
	srv := asynq.NewServerFromRedisClient(q.Redis(), q.ServerConfig(n))
	if err := srv.Start(q.Handler(pool)); err != nil {
		tb.Fatal(err)
	}
	return pool, func() { srv.Shutdown(); pool.Close() }
}

// batchLimit bounds the wait for a test batch to finish: a guard against a
// hung test, not a measurement. Under the race detector (make test) on a busy
// shared machine a page can take a minute.
const batchLimit = testenv.WaitLimit

func waitFinished(tb testing.TB, q *Queue, id string, limit time.Duration) *BatchStatus {
	tb.Helper()
	return testenv.WaitBatch(tb, id, limit, q.Status)
}

// snapshot returns the SHA-256 of every object in s.
func snapshot(t *testing.T, s storage.Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	m := map[string]string{}
	var keys []string
	if err := s.List(ctx, "", func(o storage.ObjectInfo) error { keys = append(keys, o.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		info, err := s.Stat(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		m[k] = info.SHA256
	}
	return m
}

// diffSnapshots lists, in key order, the objects added, deleted or changed from snapshot a to b.
func diffSnapshots(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		switch w, ok := b[k]; {
		case !ok:
			out = append(out, "deleted "+k)
		case w != v:
			out = append(out, "changed "+k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, "added "+k)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i][strings.IndexByte(out[i], ' '):] < out[j][strings.IndexByte(out[j], ' '):]
	})
	return out
}

func sameSnapshot(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// corruptTIFF returns a copy of the TIFF good whose image data from the byte
// at from on is zeros: its header and directory (at the file's end) stay
// whole, so validation passes and the page fails when it is decoded.
func corruptTIFF(good []byte, from int) []byte {
	bad := bytes.Clone(good)
	clear(bad[from : len(bad)-4096])
	return bad
}

// withDevSigner gives q a development key of the sample batch's organisation
// (Sở Nội vụ tỉnh Bắc Minh, H49.64.33): the package seal and every PDF are
// signed with it. It returns the development CA as roots and the trust that
// pins the key for H49.64.33.
func withDevSigner(t *testing.T, q *Queue) (*x509.CertPool, *seal.Trust) {
	t.Helper()
	keys, err := seal.WriteDevelopmentKeys(t.TempDir(), "Sở Nội vụ tỉnh Bắc Minh", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if q.opts.Signer, err = seal.LoadSigner(keys.Key, keys.Cert); err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(keys.CA)
	if err != nil {
		t.Fatal(err)
	}
	cas, err := seal.ParseCertificates(pem)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cas[0])
	q.opts.Pipeline.Signer = &pades.Signer{Key: q.opts.Signer, Opts: pades.Options{Roots: roots}}
	return roots, seal.NewTrust("H49.64.33", q.opts.Signer.Certificate())
}

// tester is the person the tests' retries and replacements are made by.
var tester = audit.Actor{Name: "tester", Role: "staff"}
