package storage_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/local"
)

var errFlaky = errors.New("connection refused (fake)")

// flaky wraps a real store and fails the first fails[op] calls of each operation with a transient error.
// A failing Put first reads readBeforeFail bytes of the content; a failing List first delivers listBeforeFail keys.
type flaky struct {
	storage.Store
	mu             sync.Mutex
	fails          map[string]int
	calls          map[string]int
	readBeforeFail int64
	listBeforeFail int
}

func newFlaky(t *testing.T, fails map[string]int) *flaky {
	s, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &flaky{Store: s, fails: fails, calls: map[string]int{}}
}

// fail counts a call of op and reports whether it must fail.
func (f *flaky) fail(op string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	if f.fails[op] < 0 || f.calls[op] <= f.fails[op] {
		return true
	}
	return false
}

func (f *flaky) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	if f.fail("put") {
		io.CopyN(io.Discard, r, f.readBeforeFail)
		return storage.ObjectInfo{}, storage.Transient(errFlaky)
	}
	return f.Store.Put(ctx, key, r, size, opts)
}

func (f *flaky) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if f.fail("get") {
		return nil, storage.Transient(errFlaky)
	}
	return f.Store.Get(ctx, key)
}

func (f *flaky) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	if f.fail("stat") {
		return storage.ObjectInfo{}, storage.Transient(errFlaky)
	}
	return f.Store.Stat(ctx, key)
}

func (f *flaky) Delete(ctx context.Context, key string) error {
	if f.fail("delete") {
		return storage.Transient(errFlaky)
	}
	return f.Store.Delete(ctx, key)
}

func (f *flaky) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	if f.fail("list") {
		n := 0
		errCut := errors.New("cut")
		err := f.Store.List(ctx, prefix, func(oi storage.ObjectInfo) error {
			if n == f.listBeforeFail {
				return errCut
			}
			n++
			return fn(oi)
		})
		if err != nil && err != errCut {
			return err
		}
		return storage.Transient(errFlaky)
	}
	return f.Store.List(ctx, prefix, fn)
}

func fastPolicy() storage.RetryPolicy {
	return storage.RetryPolicy{Initial: time.Millisecond, Max: 4 * time.Millisecond, Budget: 5 * time.Second}
}

func TestTransient(t *testing.T) {
	base := errors.New("boom")
	err := storage.Transient(base)
	if !storage.IsTransient(err) || !errors.Is(err, base) || err.Error() != "boom" {
		t.Errorf("Transient(boom) = %v: IsTransient %v, Is(boom) %v", err, storage.IsTransient(err), errors.Is(err, base))
	}
	wrapped := errors.Join(errors.New("ctx"), err)
	if !storage.IsTransient(wrapped) {
		t.Error("IsTransient does not see through wrapping")
	}
	if storage.IsTransient(base) || storage.IsTransient(nil) || storage.Transient(nil) != nil {
		t.Error("plain error or nil reported transient")
	}
}

func TestRetryPutRewindsSeekableReader(t *testing.T) {
	f := newFlaky(t, map[string]int{"put": 3})
	f.readBeforeFail = 10
	var notified []time.Duration
	p := fastPolicy()
	p.Notify = func(op, key string, err error, wait time.Duration) {
		if op != "put" || key != "k" || !errors.Is(err, errFlaky) {
			t.Errorf("Notify(%q, %q, %v)", op, key, err)
		}
		notified = append(notified, wait)
	}
	s := storage.WithRetry(f, p)
	content := []byte("0123456789abcdefghij")
	r := bytes.NewReader(append([]byte("skip:"), content...))
	r.Seek(5, io.SeekStart) // Put must rewind to here, not to 0
	info, err := s.Put(t.Context(), "k", r, int64(len(content)), storage.PutOptions{})
	if err != nil {
		t.Fatalf("Put through 3 transient failures: %v", err)
	}
	if f.calls["put"] != 4 || len(notified) != 3 {
		t.Errorf("%d attempts, %d notifications; want 4 and 3", f.calls["put"], len(notified))
	}
	if info.Size != int64(len(content)) {
		t.Errorf("stored %d bytes, want %d", info.Size, len(content))
	}
	rc, err := f.Store.Get(t.Context(), "k")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, content) {
		t.Errorf("stored %q, want %q", got, content)
	}
}

func TestRetryPutNonSeekable(t *testing.T) {
	// Content partly consumed by the failed attempt cannot be re-read: no retry.
	f := newFlaky(t, map[string]int{"put": 1})
	f.readBeforeFail = 5
	s := storage.WithRetry(f, fastPolicy())
	_, err := s.Put(t.Context(), "k", io.MultiReader(strings.NewReader("0123456789")), 10, storage.PutOptions{})
	if !storage.IsTransient(err) || f.calls["put"] != 1 {
		t.Errorf("Put = %v after %d attempts, want the transient error after 1", err, f.calls["put"])
	}
	// Nothing consumed: retrying is safe.
	f = newFlaky(t, map[string]int{"put": 2})
	s = storage.WithRetry(f, fastPolicy())
	if _, err := s.Put(t.Context(), "k", io.MultiReader(strings.NewReader("0123456789")), 10, storage.PutOptions{}); err != nil || f.calls["put"] != 3 {
		t.Errorf("Put = %v after %d attempts, want success after 3", err, f.calls["put"])
	}
}

func TestRetryPermanentErrorNotRetried(t *testing.T) {
	f := newFlaky(t, nil)
	s := storage.WithRetry(f, fastPolicy())
	_, err := s.Put(t.Context(), "k", strings.NewReader("x"), 1, storage.PutOptions{SHA256: strings.Repeat("0", 64)})
	if !errors.Is(err, storage.ErrChecksum) || f.calls["put"] != 1 {
		t.Errorf("Put = %v after %d attempts, want ErrChecksum after 1", err, f.calls["put"])
	}
	if _, err := s.Stat(t.Context(), "missing"); !errors.Is(err, storage.ErrNotExist) || f.calls["stat"] != 1 {
		t.Errorf("Stat = %v after %d attempts, want ErrNotExist after 1", err, f.calls["stat"])
	}
}

func TestRetryOtherOperations(t *testing.T) {
	f := newFlaky(t, map[string]int{"get": 2, "stat": 2, "delete": 2})
	s := storage.WithRetry(f, fastPolicy())
	if _, err := f.Store.Put(t.Context(), "k", strings.NewReader("v"), 1, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	rc, err := s.Get(t.Context(), "k")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	rc.Close()
	if _, err := s.Stat(t.Context(), "k"); err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if err := s.Delete(t.Context(), "k"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for _, op := range []string{"get", "stat", "delete"} {
		if f.calls[op] != 3 {
			t.Errorf("%s: %d attempts, want 3", op, f.calls[op])
		}
	}
}

func TestRetryListResumes(t *testing.T) {
	f := newFlaky(t, map[string]int{"list": 2})
	f.listBeforeFail = 2
	keys := []string{"a", "b", "c", "d", "e"}
	for _, k := range keys {
		if _, err := f.Store.Put(t.Context(), k, strings.NewReader(k), 1, storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	s := storage.WithRetry(f, fastPolicy())
	var got []string
	err := s.List(t.Context(), "", func(oi storage.ObjectInfo) error {
		got = append(got, oi.Key)
		return nil
	})
	if err != nil || !slices.Equal(got, keys) {
		t.Errorf("List through 2 interruptions = %q, %v; want %q once each", got, err, keys)
	}

	// An error from fn is returned as is, even a transient one, and not retried.
	f = newFlaky(t, nil)
	f.Store.Put(t.Context(), "a", strings.NewReader("a"), 1, storage.PutOptions{})
	s = storage.WithRetry(f, fastPolicy())
	fnErr := storage.Transient(errors.New("downstream hiccup"))
	if err := s.List(t.Context(), "", func(storage.ObjectInfo) error { return fnErr }); err != fnErr || f.calls["list"] != 1 {
		t.Errorf("List with failing fn = %v after %d attempts, want fn's error after 1", err, f.calls["list"])
	}
}

// fakeClock is a storage.Clock whose Sleep advances its time at once.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	return nil
}

// TestRetryBudgetAndBackoff checks the schedule on a fake clock: waits double
// from Initial up to Max, each jittered into [w/2, w]; the retries stop when
// the next wait would end after the budget, and not before.
func TestRetryBudgetAndBackoff(t *testing.T) {
	for run := 0; run < 20; run++ { // the jitter is random: several schedules
		f := newFlaky(t, map[string]int{"stat": -1}) // always fails
		clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
		start := clock.now
		var waits []time.Duration
		p := storage.RetryPolicy{Initial: 10 * time.Millisecond, Max: 80 * time.Millisecond, Budget: 400 * time.Millisecond, Clock: clock,
			Notify: func(_, _ string, _ error, d time.Duration) { waits = append(waits, d) }}
		_, err := storage.WithRetry(f, p).Stat(t.Context(), "k")
		if !storage.IsTransient(err) || !errors.Is(err, errFlaky) || !strings.Contains(err.Error(), "giving up after") {
			t.Fatalf("Stat after the budget = %v, want the last transient error", err)
		}
		if !slices.Equal(waits, clock.sleeps) {
			t.Fatalf("notified waits %v, slept %v", waits, clock.sleeps)
		}
		// Waits lie in [w/2, w] for w = 10, 20, 40, 80, 80, ... ms.
		w := p.Initial
		for i, d := range waits {
			if d < w/2 || d > w {
				t.Errorf("wait %d = %v, want in [%v, %v]", i, d, w/2, w)
			}
			w = min(2*w, p.Max)
		}
		// w is now the ceiling of the wait that was not taken: giving up was
		// right only if even its shortest form, w/2, could end after the budget.
		spent := clock.Now().Sub(start)
		if spent > p.Budget || spent+w < p.Budget {
			t.Errorf("gave up after %v of waiting (waits %v), want within the budget %v and less than %v short of it", spent, waits, p.Budget, w)
		}
		// Even the longest six waits (10+20+40+80+80+80 ms) leave room for a seventh.
		if len(waits) < 7 || f.calls["stat"] != len(waits)+1 {
			t.Errorf("%d waits, %d attempts; want at least 7 waits and one attempt more", len(waits), f.calls["stat"])
		}
	}
}

// TestRetryContext: a cancelled context ends the wait and the call with the context's error, not a transient one.
func TestRetryContext(t *testing.T) {
	f := newFlaky(t, map[string]int{"stat": -1})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	clock := &blockingClock{}
	s := storage.WithRetry(f, storage.RetryPolicy{Initial: time.Second, Budget: time.Minute, Clock: clock,
		Notify: func(string, string, error, time.Duration) { cancel() }})
	_, err := s.Stat(ctx, "k")
	if !errors.Is(err, context.Canceled) || f.calls["stat"] != 1 {
		t.Errorf("Stat with a context cancelled while waiting = %v after %d attempts, want Canceled after 1", err, f.calls["stat"])
	}
	if storage.IsTransient(err) {
		t.Errorf("context error %v reported transient", err)
	}
}

// blockingClock is a storage.Clock whose Sleep ends only when its context does.
type blockingClock struct{}

func (blockingClock) Now() time.Time { return time.Time{} }

func (blockingClock) Sleep(ctx context.Context, d time.Duration) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestValidateKey(t *testing.T) {
	for _, k := range []string{"a", "inbox/b1/H49.01/1/p.jpg", "hồ-sơ/trang 1.txt", "a.b/c-d_e", strings.Repeat("k", 255)} {
		if err := storage.ValidateKey(k); err != nil {
			t.Errorf("ValidateKey(%q) = %v", k, err)
		}
	}
	for _, k := range []string{"", "/a", "a/", "a//b", "..", "a/../b", ".x", "a/.x", "a\\b", "a\nb", "\xff",
		strings.Repeat("k", 256), strings.Repeat("k/", 600)} {
		if err := storage.ValidateKey(k); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("ValidateKey(%q) = %v, want ErrInvalidKey", k, err)
		}
	}
}
