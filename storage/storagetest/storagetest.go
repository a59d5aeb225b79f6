// Package storagetest is the conformance suite for storage.Store implementations: every backend's tests call Run.
package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/storage"
)

// LargeSize is the size of the object the suite streams through the store.
const LargeSize = 20 << 20

// Run checks every point of the storage.Store contract. newStore must return an empty store, a fresh one for each
// call (each subtest calls it once).
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	tests := []struct {
		name string
		f    func(*testing.T, storage.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"IdempotentPut", testIdempotentPut},
		{"Immutable", testImmutable},
		{"ChecksumMismatch", testChecksumMismatch},
		{"SizeMismatch", testSizeMismatch},
		{"InterruptedPut", testInterruptedPut},
		{"Missing", testMissing},
		{"InvalidKeys", testInvalidKeys},
		{"List", testList},
		{"Delete", testDelete},
		{"ConcurrentPuts", testConcurrentPuts},
		{"ConcurrentSameKey", testConcurrentSameKey},
		{"Large", testLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.f(t, newStore(t)) })
	}
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func put(t *testing.T, s storage.Store, key string, content []byte, opts storage.PutOptions) storage.ObjectInfo {
	t.Helper()
	info, err := s.Put(t.Context(), key, bytes.NewReader(content), int64(len(content)), opts)
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	return info
}

func get(t *testing.T, s storage.Store, key string) []byte {
	t.Helper()
	rc, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%q): reading: %v", key, err)
	}
	return b
}

func listKeys(t *testing.T, s storage.Store, prefix string) []string {
	t.Helper()
	var keys []string
	err := s.List(t.Context(), prefix, func(oi storage.ObjectInfo) error {
		keys = append(keys, oi.Key)
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return keys
}

// wantNotExist checks that key is absent from Stat, Get and List.
func wantNotExist(t *testing.T, s storage.Store, key string) {
	t.Helper()
	if _, err := s.Stat(t.Context(), key); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("Stat(%q) = %v, want ErrNotExist", key, err)
	}
	if rc, err := s.Get(t.Context(), key); !errors.Is(err, storage.ErrNotExist) {
		if err == nil {
			rc.Close()
		}
		t.Errorf("Get(%q) = %v, want ErrNotExist", key, err)
	}
	if keys := listKeys(t, s, key); slices.Contains(keys, key) {
		t.Errorf("List(%q) = %q, want no %q", key, keys, key)
	}
}

func checkInfo(t *testing.T, what string, got storage.ObjectInfo, key string, content []byte) {
	t.Helper()
	if got.Key != key || got.Size != int64(len(content)) || got.SHA256 != sum(content) {
		t.Errorf("%s = {Key %q, Size %d, SHA256 %s}, want {%q, %d, %s}", what, got.Key, got.Size, got.SHA256,
			key, len(content), sum(content))
	}
	if d := time.Since(got.ModTime); d < -time.Minute || d > 10*time.Minute {
		t.Errorf("%s: ModTime %v is not about now", what, got.ModTime)
	}
}

func testRoundTrip(t *testing.T, s storage.Store) {
	cases := []struct {
		key     string
		content []byte
		opts    storage.PutOptions
	}{
		{"inbox/b1/H49.01/1/p.jpg", []byte("scan of page one"), storage.PutOptions{ContentType: "image/jpeg"}},
		{"empty", nil, storage.PutOptions{}},
		{"hồ-sơ/Quyết định số 12.txt", []byte("Cộng hòa xã hội chủ nghĩa Việt Nam\n"), storage.PutOptions{ContentType: "text/plain; charset=utf-8"}},
		{"with-sum/x.bin", bytes.Repeat([]byte{0, 1, 2, 255}, 1000), storage.PutOptions{}},
	}
	// The last case also passes the expected SHA-256, upper-case: hex is case-insensitive.
	cases[3].opts.SHA256 = strings.ToUpper(sum(cases[3].content))
	for _, c := range cases {
		info := put(t, s, c.key, c.content, c.opts)
		checkInfo(t, fmt.Sprintf("Put(%q)", c.key), info, c.key, c.content)
		if got := get(t, s, c.key); !bytes.Equal(got, c.content) {
			t.Errorf("Get(%q) = %d bytes %q..., want %d bytes", c.key, len(got), got[:min(len(got), 16)], len(c.content))
		}
		st, err := s.Stat(t.Context(), c.key)
		if err != nil {
			t.Fatalf("Stat(%q): %v", c.key, err)
		}
		checkInfo(t, fmt.Sprintf("Stat(%q)", c.key), st, c.key, c.content)
	}
	// Unknown size.
	content := []byte("size not known in advance")
	info, err := s.Put(t.Context(), "unknown-size", io.MultiReader(bytes.NewReader(content)), -1, storage.PutOptions{})
	if err != nil {
		t.Fatalf("Put with size -1: %v", err)
	}
	checkInfo(t, "Put(size -1)", info, "unknown-size", content)
	if got := get(t, s, "unknown-size"); !bytes.Equal(got, content) {
		t.Errorf("Get after Put with size -1 = %q, want %q", got, content)
	}
}

func testIdempotentPut(t *testing.T, s storage.Store) {
	content := []byte("the same bytes twice")
	put(t, s, "a/k", content, storage.PutOptions{})
	stored, err := s.Stat(t.Context(), "a/k")
	if err != nil {
		t.Fatal(err)
	}
	// Same content again, once as a plain reader of unknown size and once with the checksum: both succeed.
	second, err := s.Put(t.Context(), "a/k", io.MultiReader(bytes.NewReader(content)), -1, storage.PutOptions{})
	if err != nil {
		t.Fatalf("second Put of the same content: %v", err)
	}
	third := put(t, s, "a/k", content, storage.PutOptions{SHA256: sum(content)})
	fourth := put(t, s, "a/k", content, storage.PutOptions{SHA256: sum(content), Absent: true}) // said wrongly: no matter
	for _, info := range []storage.ObjectInfo{second, third, fourth} {
		checkInfo(t, "re-Put", info, "a/k", content)
		if !info.ModTime.Equal(stored.ModTime) {
			t.Errorf("re-Put ModTime %v, stored %v: the object was rewritten, or re-Put did not report it", info.ModTime, stored.ModTime)
		}
	}
	if after, err := s.Stat(t.Context(), "a/k"); err != nil || !after.ModTime.Equal(stored.ModTime) {
		t.Errorf("Stat after re-Puts = %+v, %v; want ModTime %v: the object was rewritten", after, err, stored.ModTime)
	}
	if keys := listKeys(t, s, ""); !slices.Equal(keys, []string{"a/k"}) {
		t.Errorf("List after 3 Puts of one key = %q, want one key", keys)
	}
}

func testImmutable(t *testing.T, s storage.Store) {
	content := []byte("original")
	put(t, s, "k", content, storage.PutOptions{})
	other := []byte("changed!") // same size
	_, err := s.Put(t.Context(), "k", bytes.NewReader(other), int64(len(other)), storage.PutOptions{})
	if !errors.Is(err, storage.ErrExists) {
		t.Fatalf("Put of other content to an existing key = %v, want ErrExists", err)
	}
	if storage.IsTransient(err) {
		t.Errorf("ErrExists error %v is transient", err)
	}
	if _, err := s.Put(t.Context(), "k", bytes.NewReader(other), int64(len(other)), storage.PutOptions{Absent: true}); !errors.Is(err, storage.ErrExists) {
		t.Errorf("Put of other content to an existing key said to be absent = %v, want ErrExists", err)
	}
	if got := get(t, s, "k"); !bytes.Equal(got, content) {
		t.Errorf("after refused overwrite Get = %q, want %q", got, content)
	}
}

func testChecksumMismatch(t *testing.T, s storage.Store) {
	content := []byte("content whose checksum the caller got wrong")
	wrong := sum([]byte("something else"))
	for _, size := range []int64{int64(len(content)), -1} {
		key := fmt.Sprintf("bad/size%d", size)
		_, err := s.Put(t.Context(), key, bytes.NewReader(content), size, storage.PutOptions{SHA256: wrong})
		if !errors.Is(err, storage.ErrChecksum) {
			t.Errorf("Put with wrong SHA-256 (size %d) = %v, want ErrChecksum", size, err)
		}
		if storage.IsTransient(err) {
			t.Errorf("checksum error %v is transient", err)
		}
		wantNotExist(t, s, key)
	}
	// A malformed checksum is refused before anything is stored.
	if _, err := s.Put(t.Context(), "bad/malformed", bytes.NewReader(content), int64(len(content)), storage.PutOptions{SHA256: "abc"}); err == nil {
		t.Error("Put with a malformed SHA-256 succeeded")
	}
	wantNotExist(t, s, "bad/malformed")
	if keys := listKeys(t, s, ""); len(keys) != 0 {
		t.Errorf("List after refused Puts = %q, want none", keys)
	}
}

func testSizeMismatch(t *testing.T, s storage.Store) {
	content := []byte("twenty-one bytes long")
	for _, size := range []int64{int64(len(content)) + 5, int64(len(content)) - 5} {
		key := fmt.Sprintf("size/%d", size)
		// A plain reader, so that the backend cannot learn the real length by seeking.
		_, err := s.Put(t.Context(), key, io.MultiReader(bytes.NewReader(content)), size, storage.PutOptions{})
		if err == nil {
			t.Errorf("Put of %d bytes with size %d succeeded", len(content), size)
		}
		// Also with the checksum of the declared prefix, which lets S3 stream without hashing first.
		_, err = s.Put(t.Context(), key, io.MultiReader(bytes.NewReader(content)), size,
			storage.PutOptions{SHA256: sum(content[:min(int(size), len(content))])})
		if err == nil {
			t.Errorf("Put of %d bytes with size %d and SHA-256 succeeded", len(content), size)
		}
		wantNotExist(t, s, key)
	}
}

// failingReader yields n bytes of data, then fails with err.
type failingReader struct {
	n   int
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	k := min(len(p), f.n)
	for i := range p[:k] {
		p[i] = byte(i)
	}
	f.n -= k
	return k, nil
}

func testInterruptedPut(t *testing.T, s storage.Store) {
	errBroken := errors.New("scanner unplugged")
	_, err := s.Put(t.Context(), "broken/reader", &failingReader{n: 300 << 10, err: errBroken}, 1<<20, storage.PutOptions{})
	if !errors.Is(err, errBroken) {
		t.Errorf("Put from a failing reader = %v, want the reader's error", err)
	}
	wantNotExist(t, s, "broken/reader")

	// Context cancelled while the content is being sent.
	ctx, cancel := context.WithCancel(t.Context())
	r := &cancellingReader{r: newDataReader(1, 4<<20), after: 1 << 20, cancel: cancel}
	_, err = s.Put(ctx, "broken/cancelled", r, 4<<20, storage.PutOptions{})
	if err == nil {
		t.Error("Put whose context was cancelled midway succeeded")
	}
	wantNotExist(t, s, "broken/cancelled")
	if keys := listKeys(t, s, ""); len(keys) != 0 {
		t.Errorf("List after interrupted Puts = %q, want none", keys)
	}
}

// cancellingReader calls cancel once after bytes have been read.
type cancellingReader struct {
	r      io.Reader
	n      int64
	after  int64
	cancel func()
}

func (c *cancellingReader) Read(p []byte) (int, error) {
	if c.n >= c.after {
		c.cancel()
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func testMissing(t *testing.T, s storage.Store) {
	put(t, s, "present/x", []byte("x"), storage.PutOptions{})
	for _, key := range []string{"absent", "present/y", "present/x/under-an-object", "present"} {
		_, err := s.Stat(t.Context(), key)
		if !errors.Is(err, storage.ErrNotExist) || storage.IsTransient(err) {
			t.Errorf("Stat(%q) = %v, want permanent ErrNotExist", key, err)
		}
		rc, err := s.Get(t.Context(), key)
		if !errors.Is(err, storage.ErrNotExist) || storage.IsTransient(err) {
			t.Errorf("Get(%q) = %v, want permanent ErrNotExist", key, err)
		}
		if err == nil {
			rc.Close()
		}
		if err := s.Delete(t.Context(), key); err != nil {
			t.Errorf("Delete(%q) of a missing key = %v, want nil", key, err)
		}
	}
}

func testInvalidKeys(t *testing.T, s storage.Store) {
	for _, key := range []string{"", "/abs", "../up", "a/../../b", "a//b", "a/", "./a", "a/./b", ".hidden",
		"a/.sohoa/x", "back\\slash", "ctl\x01", "bad\xffutf8", strings.Repeat("k", storage.MaxKeyLen+1)} {
		_, err := s.Put(t.Context(), key, strings.NewReader("x"), 1, storage.PutOptions{})
		if !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Put(%q) = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Get(t.Context(), key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Get(%q) = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Stat(t.Context(), key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Stat(%q) = %v, want ErrInvalidKey", key, err)
		}
		if err := s.Delete(t.Context(), key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
	if keys := listKeys(t, s, ""); len(keys) != 0 {
		t.Errorf("List after invalid Puts = %q, want none", keys)
	}
}

func testList(t *testing.T, s storage.Store) {
	// Byte order puts "-" (0x2d) and "." (0x2e) before "/" (0x2f) and "0": a naive directory walk gets this wrong.
	keys := []string{"l/ab", "l/a/b", "l/a-x", "l/a.c", "l/a0", "l/a/c/d", "l/b", "m/a", "k", "l/á"}
	for i, k := range keys {
		put(t, s, k, []byte(strings.Repeat("x", i)), storage.PutOptions{})
	}
	sorted := slices.Sorted(slices.Values(keys))
	filter := func(prefix string) []string {
		var out []string
		for _, k := range sorted {
			if strings.HasPrefix(k, prefix) {
				out = append(out, k)
			}
		}
		return out
	}
	for _, prefix := range []string{"", "l/", "l/a", "l/a/", "l/a/c", "m", "n", "l/a/c/d", "l/a/c/d/", "../", "l/á"} {
		got := listKeys(t, s, prefix)
		if want := filter(prefix); !slices.Equal(got, want) {
			t.Errorf("List(%q) = %q, want %q", prefix, got, want)
		}
	}
	// Sizes and times are reported, SHA-256 is not required.
	err := s.List(t.Context(), "l/ab", func(oi storage.ObjectInfo) error {
		if oi.Size != 0 || oi.Key != "l/ab" || oi.ModTime.IsZero() {
			t.Errorf("List entry %+v, want l/ab of 0 bytes with a ModTime", oi)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// An error from fn stops the listing and comes back unchanged.
	errStop := errors.New("enough")
	n := 0
	err = s.List(t.Context(), "", func(storage.ObjectInfo) error {
		n++
		if n == 3 {
			return errStop
		}
		return nil
	})
	if err != errStop || n != 3 {
		t.Errorf("List with failing fn = %v after %d calls, want %v after 3", err, n, errStop)
	}
}

func testDelete(t *testing.T, s storage.Store) {
	put(t, s, "d/one", []byte("1"), storage.PutOptions{})
	put(t, s, "d/two", []byte("2"), storage.PutOptions{})
	if err := s.Delete(t.Context(), "d/one"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantNotExist(t, s, "d/one")
	if keys := listKeys(t, s, ""); !slices.Equal(keys, []string{"d/two"}) {
		t.Errorf("List after Delete = %q, want [d/two]", keys)
	}
	if err := s.Delete(t.Context(), "d/one"); err != nil {
		t.Errorf("second Delete = %v, want nil", err)
	}
	// After a delete the key is free for new content.
	put(t, s, "d/one", []byte("new"), storage.PutOptions{})
	if got := get(t, s, "d/one"); string(got) != "new" {
		t.Errorf("Get after delete and re-put = %q", got)
	}
	// Deleting the last object under a "directory" leaves no trace in List.
	for _, k := range []string{"d/one", "d/two"} {
		if err := s.Delete(t.Context(), k); err != nil {
			t.Fatal(err)
		}
	}
	if keys := listKeys(t, s, ""); len(keys) != 0 {
		t.Errorf("List after deleting everything = %q", keys)
	}
}

func testConcurrentPuts(t *testing.T, s storage.Store) {
	const n = 32
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			content := bytes.Repeat([]byte{byte(i)}, 1000+i*1000)
			_, errs[i] = s.Put(t.Context(), fmt.Sprintf("c/%02d/page.jpg", i), bytes.NewReader(content), int64(len(content)), storage.PutOptions{})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Put %d: %v", i, err)
		}
	}
	keys := listKeys(t, s, "c/")
	if len(keys) != n {
		t.Fatalf("List after %d concurrent Puts: %d keys", n, len(keys))
	}
	for i, k := range keys {
		content := get(t, s, k)
		if want := bytes.Repeat([]byte{byte(i)}, 1000+i*1000); !bytes.Equal(content, want) {
			t.Errorf("Get(%q): %d bytes, want %d bytes of %d", k, len(content), len(want), i)
		}
	}
}

func testConcurrentSameKey(t *testing.T, s storage.Store) {
	const n = 8
	same := bytes.Repeat([]byte("identical "), 10000)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.Put(t.Context(), "same", bytes.NewReader(same), int64(len(same)), storage.PutOptions{})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent Put %d of identical content: %v", i, err)
		}
	}
	if got := get(t, s, "same"); !bytes.Equal(got, same) {
		t.Errorf("Get after identical concurrent Puts: %d bytes, want %d", len(got), len(same))
	}

	// Different contents for one key: exactly one wins, the others get ErrExists.
	var wins atomic.Int32
	var winner atomic.Int32
	for i := range n {
		wg.Go(func() {
			content := bytes.Repeat([]byte{'a' + byte(i)}, 50000)
			_, err := s.Put(t.Context(), "race", bytes.NewReader(content), int64(len(content)), storage.PutOptions{})
			switch {
			case err == nil:
				wins.Add(1)
				winner.Store(int32(i))
			case !errors.Is(err, storage.ErrExists):
				t.Errorf("losing Put %d = %v, want ErrExists", i, err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d of %d concurrent Puts of different content won, want 1", wins.Load(), n)
	}
	if got, want := get(t, s, "race"), bytes.Repeat([]byte{'a' + byte(winner.Load())}, 50000); !bytes.Equal(got, want) {
		t.Errorf("Get(race) = %q..., want the winner's content %q...", got[:4], want[:4])
	}
}

// dataReader yields size deterministic pseudo-random bytes without holding them.
type dataReader struct {
	rng  *rand.ChaCha8
	left int64
}

func newDataReader(seed byte, size int64) *dataReader {
	return &dataReader{rng: rand.NewChaCha8([32]byte{seed}), left: size}
}

func (d *dataReader) Read(p []byte) (int, error) {
	if d.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > d.left {
		p = p[:d.left]
	}
	n, _ := d.rng.Read(p)
	d.left -= int64(n)
	return n, nil
}

func dataSum(seed byte, size int64) string {
	h := sha256.New()
	io.Copy(h, newDataReader(seed, size))
	return hex.EncodeToString(h.Sum(nil))
}

func testLarge(t *testing.T, s storage.Store) {
	want := dataSum(7, LargeSize)

	// While the object is being put, a reader polls it: it must see nothing, or all of it.
	stop := make(chan struct{})
	var polls, seen atomic.Int32
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			polls.Add(1)
			rc, err := s.Get(t.Context(), "big/with-sum")
			if errors.Is(err, storage.ErrNotExist) {
				time.Sleep(2 * time.Millisecond)
				continue
			}
			if err != nil {
				t.Errorf("Get during Put: %v", err)
				return
			}
			h := sha256.New()
			n, err := io.Copy(h, rc)
			rc.Close()
			if err != nil || n != LargeSize || hex.EncodeToString(h.Sum(nil)) != want {
				t.Errorf("Get during Put saw a partial or wrong object: %d bytes, err %v", n, err)
			}
			seen.Add(1)
			return
		}
	})

	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	info, err := s.Put(t.Context(), "big/with-sum", newDataReader(7, LargeSize), LargeSize, storage.PutOptions{SHA256: want})
	runtime.ReadMemStats(&ms1)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("Put of %d bytes: %v", LargeSize, err)
	}
	if info.Size != LargeSize || info.SHA256 != want {
		t.Errorf("Put of large object = %+v, want size %d sha %s", info, LargeSize, want)
	}
	// Streaming keeps allocations well below the object's size (the poller allocates little: it mostly sleeps).
	if alloc := ms1.TotalAlloc - ms0.TotalAlloc; alloc > LargeSize/2 {
		t.Errorf("Put of %d MiB allocated %d MiB: the content was buffered", LargeSize>>20, alloc>>20)
	} else {
		t.Logf("Put of %d MiB allocated %.1f MiB; reader polled %d times during Put", LargeSize>>20, float64(alloc)/(1<<20), polls.Load())
	}

	// Unknown size and no checksum given: the backend must still stream (or spool to disk), not buffer.
	runtime.ReadMemStats(&ms0)
	info, err = s.Put(t.Context(), "big/no-sum", newDataReader(7, LargeSize), -1, storage.PutOptions{})
	runtime.ReadMemStats(&ms1)
	if err != nil {
		t.Fatalf("Put of %d bytes with size -1: %v", LargeSize, err)
	}
	if info.Size != LargeSize || info.SHA256 != want {
		t.Errorf("Put of large object (size -1) = %+v, want size %d sha %s", info, LargeSize, want)
	}
	if alloc := ms1.TotalAlloc - ms0.TotalAlloc; alloc > LargeSize/2 {
		t.Errorf("Put of %d MiB with size -1 allocated %d MiB: the content was buffered", LargeSize>>20, alloc>>20)
	}

	for _, key := range []string{"big/with-sum", "big/no-sum"} {
		rc, err := s.Get(t.Context(), key)
		if err != nil {
			t.Fatalf("Get(%q): %v", key, err)
		}
		runtime.ReadMemStats(&ms0)
		h := sha256.New()
		n, err := io.Copy(h, rc)
		runtime.ReadMemStats(&ms1)
		rc.Close()
		if err != nil || n != LargeSize || hex.EncodeToString(h.Sum(nil)) != want {
			t.Errorf("Get(%q) = %d bytes, err %v; want %d bytes with SHA-256 %s", key, n, err, LargeSize, want)
		}
		if alloc := ms1.TotalAlloc - ms0.TotalAlloc; alloc > LargeSize/2 {
			t.Errorf("reading %q allocated %d MiB: not streamed", key, alloc>>20)
		}
		st, err := s.Stat(t.Context(), key)
		if err != nil || st.SHA256 != want || st.Size != LargeSize {
			t.Errorf("Stat(%q) = %+v, %v", key, st, err)
		}
	}
}

// Fetch copies every object of s under prefix ("<id>/") into dir, at its key
// less the prefix, and returns the keys it copied.
func Fetch(t testing.TB, s storage.Store, prefix, dir string) []string {
	t.Helper()
	ctx := context.Background()
	var keys []string
	err := s.List(ctx, prefix, func(o storage.ObjectInfo) error {
		keys = append(keys, o.Key)
		r, err := s.Get(ctx, o.Key)
		if err != nil {
			return err
		}
		defer r.Close()
		dst := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(o.Key, prefix)))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		f, err := os.Create(dst)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(f, r)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
