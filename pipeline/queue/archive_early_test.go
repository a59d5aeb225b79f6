package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/local"
)

// putLog notes the keys put into it, in order, and those put as absent
// (PutOptions.Absent).
type putLog struct {
	storage.Store
	mu     sync.Mutex
	keys   []string
	absent []string
}

func (p *putLog) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	info, err := p.Store.Put(ctx, key, r, size, opts)
	p.mu.Lock()
	p.keys = append(p.keys, key)
	if opts.Absent {
		p.absent = append(p.absent, key)
	}
	p.mu.Unlock()
	return info, err
}

// TestArchiveEarlyOriginals: originals stored while the package is
// assembled are not stored again when the package holds them as they are;
// one the package holds otherwise (its file changed in between) is
// replaced by the package's, and a document's file stored early that the
// package left out (it failed the document) is deleted; the tag manifest
// is still stored last. Nothing
// is stored early when the archive holds something of the batch already, or
// when packages are locked.
func TestArchiveEarlyOriginals(t *testing.T) {
	ctx := context.Background()
	write := func(p, content string) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		sum, _, err := bag.HashFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	// The batch copy the originals are stored from, and the bag.
	batch, dir := t.TempDir(), t.TempDir()
	same := write(filepath.Join(batch, "1", "p1.jpg"), "page one")
	changed := write(filepath.Join(batch, "2", "p1.jpg"), "page two as fetched")
	write(filepath.Join(dir, "data", "originals", "1", "p1.jpg"), "page one")
	inBag := write(filepath.Join(dir, "data", "originals", "2", "p1.jpg"), "page two as packaged")
	tags := write(filepath.Join(dir, "bag-info.txt"), "Sohoa-Batch-Status: incomplete\n")
	write(filepath.Join(dir, bag.TagManifestFile), tags+"  bag-info.txt\n")
	originals := map[string]pipeline.Original{"1/p1.jpg": {File: "1/p1.jpg", SHA256: same}, "2/p1.jpg": {File: "2/p1.jpg", SHA256: changed}}

	st, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := &putLog{Store: st}
	q := &Queue{stores: Stores{Archive: log}}
	early := q.archiveEarly(ctx, "b1", batch, originals)
	if early == nil {
		t.Fatal("nothing stored early into an empty archive")
	}
	// A document's PDF, stored early, that the package then failed.
	failed := []byte("a document the package failed")
	sum := sha256.Sum256(failed)
	early.putData("b1/data/H/H.1.pdf", hex.EncodeToString(sum[:]), failed)
	if err := q.archive(ctx, "b1", dir, nil, early); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Stat(ctx, "b1/data/H/H.1.pdf"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("a document's file stored early and not in the package is left in the archive: %v", err)
	}
	want := []string{"b1/bag-info.txt", "b1/data/H/H.1.pdf", "b1/data/originals/1/p1.jpg", "b1/data/originals/2/p1.jpg", "b1/data/originals/2/p1.jpg", "b1/" + bag.TagManifestFile}
	got := slices.Clone(log.keys)
	slices.Sort(got[:len(got)-1])
	if !slices.Equal(got, want) {
		t.Errorf("stored %q, want %q (the tag manifest last)", log.keys, want)
	}
	// Every key was absent when put (the archive held nothing of the batch,
	// and the changed original was deleted first): no large object is
	// looked for before it is sent.
	if got := slices.Sorted(slices.Values(log.absent)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("stored as absent %q, want all of %q", got, want)
	}
	for key, sum := range map[string]string{"b1/data/originals/1/p1.jpg": same, "b1/data/originals/2/p1.jpg": inBag} {
		if info, err := st.Stat(ctx, key); err != nil || info.SHA256 != sum {
			t.Errorf("%s: %+v %v; want the package's, SHA-256 %s", key, info, err, sum)
		}
	}

	// The archive holds the batch now: nothing early.
	if e := q.archiveEarly(ctx, "b1", batch, originals); e != nil {
		e.stop()
		t.Error("originals stored early over a package already in the archive")
	}
	// Locked packages: whether this one is complete, and locked, is not known yet.
	q.opts.Retention = func(now time.Time) *storage.Retention {
		return &storage.Retention{Mode: storage.Governance, Until: now.Add(time.Hour)}
	}
	if e := q.archiveEarly(ctx, "b2", batch, originals); e != nil {
		e.stop()
		t.Error("originals stored early while packages are locked")
	}
}

// gatedStore is a store whose Puts start (each sends its key on started)
// and then wait until gate is closed; most is how many were in progress at
// once.
type gatedStore struct {
	storage.Store
	started        chan string
	gate           chan struct{}
	mu             sync.Mutex
	inFlight, most int
}

func (g *gatedStore) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	g.mu.Lock()
	g.inFlight++
	g.most = max(g.most, g.inFlight)
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.inFlight--
		g.mu.Unlock()
	}()
	g.started <- key
	<-g.gate
	return g.Store.Put(ctx, key, r, size, opts)
}

// TestEarlyPutsHoldNotTheCaller: taking a document's files for storing
// early does not wait for the store while the bytes held stay within
// earlyPutBytes (the package goes on assembling meanwhile), and the bytes
// are counted until each is stored; earlyPutsAtOnce are stored at once. A putData that waited for a free slot would hang this test
// until go test's timeout.
func TestEarlyPutsHoldNotTheCaller(t *testing.T) {
	st, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const n, size = 2 * earlyPutsAtOnce, 1 << 10
	g := &gatedStore{Store: st, started: make(chan string, n), gate: make(chan struct{})}
	e := newEarlyPuts(context.Background(), g)
	sums := map[string]string{}
	for i := range n {
		data := []byte(fmt.Sprintf("%0*d", size, i))
		sum := sha256.Sum256(data)
		key := fmt.Sprintf("b1/data/H/H.%d.pdf", i)
		sums[key] = hex.EncodeToString(sum[:])
		e.putData(key, sums[key], data) // returns with every Put waiting at the gate
	}
	for range earlyPutsAtOnce {
		<-g.started
	}
	if e.held.TryAcquire(earlyPutBytes - n*size + 1) {
		t.Errorf("the %d bytes waiting to be stored are not counted within earlyPutBytes", n*size)
	}
	close(g.gate)
	stored, err := e.wait()
	if err != nil {
		t.Fatal(err)
	}
	if g.most != earlyPutsAtOnce {
		t.Errorf("%d puts at once, want earlyPutsAtOnce (%d)", g.most, earlyPutsAtOnce)
	}
	if !maps.Equal(stored, sums) {
		t.Errorf("stored %v, want %v", stored, sums)
	}
	if !e.held.TryAcquire(earlyPutBytes) {
		t.Error("the bytes of stored files are still counted")
	}
}
