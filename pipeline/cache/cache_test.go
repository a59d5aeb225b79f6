package cache

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGetLoadsOnce: concurrent Gets of one key share one load; the value is
// kept, and a failed load is not.
func TestGetLoadsOnce(t *testing.T) {
	c := New[int](10, 0)
	var loads atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{})
	load := func() (int, error) {
		if loads.Add(1) == 1 {
			close(started)
		}
		<-release
		return 7, nil
	}
	const n = 8
	var wg sync.WaitGroup
	var entered atomic.Int32
	got := make([]int, n)
	wg.Add(1)
	go func() { defer wg.Done(); got[0], _ = c.Get("k", load) }()
	<-started // the first load runs and waits for release: the others join it
	for i := 1; i < n; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); entered.Add(1); got[i], _ = c.Get("k", load) }()
	}
	for entered.Load() < n-1 {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	for i, v := range got {
		if v != 7 {
			t.Errorf("Get %d = %d, want 7", i, v)
		}
	}
	if l := loads.Load(); l != 1 {
		t.Errorf("%d loads for %d concurrent Gets, want 1", l, n)
	}
	if v, err := c.Get("k", func() (int, error) { t.Error("loaded again although kept"); return 0, nil }); v != 7 || err != nil {
		t.Errorf("Get of a kept value = %d, %v", v, err)
	}

	boom := errors.New("boom")
	if _, err := c.Get("e", func() (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Errorf("failed load = %v, want boom", err)
	}
	if v, err := c.Get("e", func() (int, error) { return 3, nil }); v != 3 || err != nil {
		t.Errorf("Get after a failed load = %d, %v; want a new load (3)", v, err)
	}
}

// TestExpiryAndRoom: a value older than the time to live is loaded again; a
// full cache drops one entry to keep a new one; Forget and ForgetPrefix drop.
func TestExpiryAndRoom(t *testing.T) {
	now := time.Unix(1000, 0)
	c := New[string](2, time.Second)
	c.now = func() time.Time { return now }
	c.Add("a", "1")
	now = now.Add(999 * time.Millisecond)
	if v, ok := c.Lookup("a"); !ok || v != "1" {
		t.Errorf("Lookup before expiry = %q, %v", v, ok)
	}
	now = now.Add(time.Millisecond)
	if _, ok := c.Lookup("a"); ok {
		t.Error("a value as old as the time to live is still returned")
	}
	c.Add("b@1", "x")
	c.Add("b@2", "y")
	c.Add("c", "z")
	if c.Len() != 2 {
		t.Errorf("a cache of 2 holds %d", c.Len())
	}
	if _, ok := c.Lookup("c"); !ok {
		t.Error("the value added last was dropped")
	}
	c.ForgetPrefix("b@")
	c.Forget("c")
	if c.Len() != 0 {
		t.Errorf("after Forget and ForgetPrefix the cache holds %d", c.Len())
	}
}
