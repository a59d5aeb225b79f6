package queue

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/local"
)

// orderStore counts the Puts that have finished, and notes how many had
// when the Put of one key (watch) started.
type orderStore struct {
	storage.Store
	watch string

	mu       sync.Mutex
	finished int
	before   int // finished Puts when watch's Put started; -1 until then
}

func (o *orderStore) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	o.mu.Lock()
	if key == o.watch {
		o.before = o.finished
	}
	o.mu.Unlock()
	info, err := o.Store.Put(ctx, key, r, size, opts)
	o.mu.Lock()
	o.finished++
	o.mu.Unlock()
	return info, err
}

// TestArchiveTagManifestLast: a package's tag manifest is stored only once
// every other object of it is, so that a tag manifest in the archive means
// a whole package, even with the other objects stored in parallel.
func TestArchiveTagManifestLast(t *testing.T) {
	dir := t.TempDir()
	const n = 40 // more than archivePuts at once
	var tags string
	for i := range n {
		name := fmt.Sprintf("f%02d.txt", i)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
		sum, _, err := bag.HashFile(p)
		if err != nil {
			t.Fatal(err)
		}
		tags += sum + "  " + name + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, bag.TagManifestFile), []byte(tags), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	o := &orderStore{Store: st, watch: "b1/" + bag.TagManifestFile, before: -1}
	q := &Queue{stores: Stores{Archive: o}}
	if err := q.archive(context.Background(), "b1", dir, nil, nil); err != nil {
		t.Fatal(err)
	}
	if o.before != n || o.finished != n+1 {
		t.Errorf("the tag manifest was stored after %d of the %d other objects (%d stored in all)", o.before, n, o.finished)
	}
}
