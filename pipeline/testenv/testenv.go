// Package testenv is the one test environment of sohoa's tests: the Redis and
// MinIO that scripts/with-services.sh starts (SOHOA_TEST_*, read once), a
// Redis database of its own for every test, unique bucket names, the TestMain
// that runs tests with single-threaded Tesseract, and the helpers that wait
// for a batch and fetch its package.
//
// Databases are leased, not numbered by hand: test packages run in parallel
// processes on one Redis, so a test takes the next free database of the pool
// with a lease key in database 0 (SET NX), empties it, and gives it back when
// it ends. The pool is databases PoolStart and up (scripts/with-services.sh
// starts Redis with 256); databases below PoolStart are left to tests that
// still number theirs.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	mrand "math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/storagetest"
)

// Services are the addresses and keys of the test services.
type Services struct {
	RedisAddr   string // host:port
	S3Endpoint  string // host:port, plain HTTP
	S3AccessKey string
	S3SecretKey string
}

var (
	readOnce sync.Once
	services Services
)

// Get returns the test services from SOHOA_TEST_REDIS_ADDR and
// SOHOA_TEST_S3_*, and fails the test when any is missing.
func Get(tb testing.TB) Services {
	tb.Helper()
	readOnce.Do(func() {
		services = Services{os.Getenv("SOHOA_TEST_REDIS_ADDR"), os.Getenv("SOHOA_TEST_S3_ENDPOINT"),
			os.Getenv("SOHOA_TEST_S3_ACCESS_KEY"), os.Getenv("SOHOA_TEST_S3_SECRET_KEY")}
	})
	s := services
	if s.RedisAddr == "" || s.S3Endpoint == "" || s.S3AccessKey == "" || s.S3SecretKey == "" {
		tb.Fatal("SOHOA_TEST_REDIS_ADDR, SOHOA_TEST_S3_* not set: run the tests with scripts/with-services.sh (make test)")
	}
	return s
}

// PoolStart is the first Redis database handed out by RedisDB.
const PoolStart = 128

// leaseTTL bounds how long a lease outlives a test process that died
// without giving it back.
const leaseTTL = time.Hour

const (
	counterKey  = "sohoa:testenv:next"
	leasePrefix = "sohoa:testenv:lease:"
)

// release deletes a lease only if it is still the caller's.
var release = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// RedisDB leases a Redis database for the test, empties it and returns its
// number; the lease ends with the test. It fails the test when the server
// has no database free in the pool.
func RedisDB(tb testing.TB) int {
	tb.Helper()
	svc := Get(tb)
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: svc.RedisAddr, DB: 0})
	defer admin.Close()
	cfg, err := admin.ConfigGet(ctx, "databases").Result()
	if err != nil {
		tb.Fatalf("testenv: redis CONFIG GET databases: %v", err)
	}
	var total int
	if _, err := fmt.Sscan(cfg["databases"], &total); err != nil || total <= PoolStart {
		tb.Fatalf("testenv: redis has %q databases, want more than %d (start it as scripts/with-services.sh does)", cfg["databases"], PoolStart)
	}
	size := total - PoolStart
	for range size {
		next, err := admin.Incr(ctx, counterKey).Result()
		if err != nil {
			tb.Fatalf("testenv: %v", err)
		}
		db := PoolStart + int((next-1)%int64(size))
		if claim(tb, admin, db) {
			return db
		}
	}
	tb.Fatalf("testenv: all %d test databases of the Redis at %s are in use", size, svc.RedisAddr)
	return 0
}

// claim leases database db for the test and empties it, unless another test
// holds it.
func claim(tb testing.TB, admin *redis.Client, db int) bool {
	tb.Helper()
	ctx := context.Background()
	addr := admin.Options().Addr
	key, token := fmt.Sprintf("%s%d", leasePrefix, db), randomHex(8)
	ok, err := admin.SetNX(ctx, key, token, leaseTTL).Result()
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	if !ok {
		return false // leased by a running test
	}
	tb.Cleanup(func() {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: 0})
		defer c.Close()
		release.Run(context.Background(), c, []string{key}, token)
	})
	c := redis.NewClient(&redis.Options{Addr: addr, DB: db})
	defer c.Close()
	if err := c.FlushDB(ctx).Err(); err != nil {
		tb.Fatalf("testenv: flush database %d: %v", db, err)
	}
	return true
}

// RedisURL leases a database (RedisDB) and returns its URL, redis://host:port/db.
func RedisURL(tb testing.TB) string {
	tb.Helper()
	db := RedisDB(tb)
	return fmt.Sprintf("redis://%s/%d", Get(tb).RedisAddr, db)
}

// Redis leases a database (RedisDB) and returns a client on it, closed when the test ends.
func Redis(tb testing.TB) *redis.Client {
	tb.Helper()
	db := RedisDB(tb)
	c := redis.NewClient(&redis.Options{Addr: Get(tb).RedisAddr, DB: db})
	tb.Cleanup(func() { c.Close() })
	return c
}

// BucketPrefix returns a prefix for the test's bucket names, unique across
// tests and runs sharing one MinIO: a letter then 8 hex digits.
func BucketPrefix(tb testing.TB) string {
	return "t" + randomHex(4)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Main runs the tests of a package that uses Tesseract with one OpenMP thread
// per process (OMP_THREAD_LIMIT=1), re-executing the test binary when it is
// not set (libgomp reads it when Tesseract loads: setting it later is too
// late), then runs cleanup; use it as the package's TestMain:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
func Main(m *testing.M, cleanup ...func()) {
	if err := ocr.ReexecSingleThreaded(); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(2)
	}
	code := m.Run()
	for _, f := range cleanup {
		f()
	}
	os.Exit(code)
}

// FreeAddr returns a loopback address (127.0.0.1:port) on which nothing
// listens, for a service a test starts, and may stop and start again, itself.
// The port is below the kernel's ephemeral range (32768 and up, as
// scripts/with-services.sh picks its ports): a port from Listen(":0") lies in
// that range, where, while the service is down, another package's outgoing
// connection or Listen(":0") may take it and the restart then fails.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	for range 200 {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+mrand.IntN(12000))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue // in use
		}
		l.Close()
		return addr
	}
	tb.Fatal("testenv: no free loopback port from 20000 to 31999")
	return ""
}

// WaitLimit is how long a test waits for a batch to finish, or for a worker
// to show a sign, before it gives up: a guard against a hung test, never a
// measurement. It is generous because make test runs the packages in
// parallel, some under -race, on two shared cores, where a small batch that
// takes half a minute alone can take several.
const WaitLimit = 8 * time.Minute

// Finisher is a batch status that says whether the batch is finished.
type Finisher interface{ Finished() bool }

// pollEvery is how often WaitBatch asks for the status.
const pollEvery = 100 * time.Millisecond

// WaitBatch asks status for batch id until the batch is finished and returns
// that status. limit bounds the wait: a guard against a hung test, not a
// measurement.
func WaitBatch[S Finisher](tb testing.TB, id string, limit time.Duration, status func(context.Context, string) (S, error)) S {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for {
		s, err := status(context.Background(), id)
		if err != nil {
			tb.Fatal(err)
		}
		if s.Finished() {
			return s
		}
		if time.Now().After(deadline) {
			tb.Fatalf("batch %s not finished after %v: %+v", id, limit, s)
		}
		time.Sleep(pollEvery)
	}
}

// FetchPackage copies the package of batch id (the objects under "id/")
// from the archive store s to a temporary folder named id, and returns the
// folder and the number of PDFs in the package.
func FetchPackage(tb testing.TB, s storage.Store, id string) (string, int) {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), id)
	pdfs := 0
	for _, k := range storagetest.Fetch(tb, s, id+"/", dir) {
		if strings.HasSuffix(k, ".pdf") {
			pdfs++
		}
	}
	return dir, pdfs
}

// CopyTree copies the folder src to dst, following links (testdata/batch
// links to testdata/samples), every folder and file writable, empty folders
// included.
func CopyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}
