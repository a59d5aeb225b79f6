package queue

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
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
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/s3"
)

type services struct {
	redisAddr, s3Endpoint, accessKey, secretKey string
}

func testServices(t testing.TB) services {
	t.Helper()
	s := services{os.Getenv("SOHOA_TEST_REDIS_ADDR"), os.Getenv("SOHOA_TEST_S3_ENDPOINT"),
		os.Getenv("SOHOA_TEST_S3_ACCESS_KEY"), os.Getenv("SOHOA_TEST_S3_SECRET_KEY")}
	if s.redisAddr == "" || s.s3Endpoint == "" || s.accessKey == "" || s.secretKey == "" {
		t.Fatal("SOHOA_TEST_REDIS_ADDR, SOHOA_TEST_S3_* not set: run the tests with scripts/with-services.sh (make test)")
	}
	return s
}

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

// newTestQueue returns a Queue on Redis database db (emptied) and fresh buckets, and its inbox.
// The tests of this package use databases 4 to 8 and 10 to 15; those of
// cmd/sohoa, which go test may run at the same time on the same Redis, 1 to 3 and 9.
func newTestQueue(t testing.TB, db int) (*Queue, *countingStore, string) {
	t.Helper()
	db += 20 // this package's Redis databases are 20-39 (see scripts/with-services.sh)
	svc := testServices(t)
	ctx := context.Background()
	url := fmt.Sprintf("redis://%s/%d", svc.redisAddr, db)
	var rnd [4]byte
	rand.Read(rnd[:])
	prefix := "q" + hex.EncodeToString(rnd[:])
	bucket := func(name string) storage.Store {
		s, err := s3.New(ctx, s3.Config{Endpoint: svc.s3Endpoint, Bucket: prefix + "-" + name, AccessKey: svc.accessKey, SecretKey: svc.secretKey})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	inbox := &countingStore{Store: bucket("inbox")}
	q, err := New(url, Stores{Inbox: inbox, Work: bucket("work"), Archive: bucket("archive")}, Options{Retries: 1, CacheDir: t.TempDir(), CleanWork: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	if err := q.rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	return q, inbox, url
}

func loadSample(t *testing.T) *pipeline.Batch {
	t.Helper()
	b, err := pipeline.Load(context.Background(), "../../testdata/batch", pipeline.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMain(m *testing.M) {
	if err := ocr.ReexecSingleThreaded(); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(2)
	}
	os.Exit(m.Run())
}

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
const batchLimit = 8 * time.Minute

func waitFinished(tb testing.TB, q *Queue, id string, limit time.Duration) *BatchStatus {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for {
		s, err := q.Status(context.Background(), id)
		if err != nil {
			tb.Fatal(err)
		}
		if s.Finished() {
			return s
		}
		if time.Now().After(deadline) {
			tb.Fatalf("batch %s not finished after %v: %+v", id, limit, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
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
