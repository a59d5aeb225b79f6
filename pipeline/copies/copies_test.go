package copies_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/copies"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/local"
)

func newLocal(t *testing.T) *local.Store {
	t.Helper()
	s, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func put(t *testing.T, s storage.Store, key, text string, ret *storage.Retention) {
	t.Helper()
	if _, err := s.Put(context.Background(), key, strings.NewReader(text), -1, storage.PutOptions{Retention: ret}); err != nil {
		t.Fatal(err)
	}
}

// TestReplicate: missing objects are copied and locked, present equal ones
// kept; a copy holding a different object, or an equal one without the lock
// its retention asks for, is an error, never overwritten.
func TestReplicate(t *testing.T) {
	ctx := context.Background()
	src, dst := newLocal(t), newLocal(t)
	for _, k := range []string{"lo-1/a.txt", "lo-1/b.txt", "lo-2/c.txt"} {
		put(t, src, k, "nội dung "+k, nil)
	}
	lock := func(now time.Time) *storage.Retention {
		return &storage.Retention{Mode: storage.Governance, Until: now.Add(time.Hour)}
	}
	c := copies.Copy{Name: "ban-sao", Store: dst, Retention: lock}
	put(t, dst, "lo-1/a.txt", "nội dung lo-1/a.txt", lock(time.Now()))
	fig, err := copies.Replicate(ctx, src, c, "lo-1/", time.Now())
	if err != nil || fig.Objects != 2 || fig.Copied != 1 || fig.Bytes != int64(len("nội dung lo-1/b.txt")) {
		t.Fatalf("Replicate = %+v, %v; want 2 objects, 1 copied", fig, err)
	}
	if r, err := dst.RetentionOf(ctx, "lo-1/b.txt"); err != nil || r == nil {
		t.Errorf("copied object's lock %v, %v", r, err)
	}
	if _, err := dst.Stat(ctx, "lo-2/c.txt"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("lo-2 copied with the prefix lo-1/: %v", err)
	}

	put(t, dst, "lo-2/c.txt", "nội dung lo-2/c.txt", nil) // equal, not locked
	if _, err := copies.Replicate(ctx, src, c, "lo-2/", time.Now()); !errors.Is(err, copies.ErrNotLocked) {
		t.Errorf("unlocked object in the copy: %v, want ErrNotLocked", err)
	}
	other := newLocal(t)
	put(t, other, "lo-2/c.txt", "khác", nil)
	c.Store = other
	if _, err := copies.Replicate(ctx, src, c, "lo-2/", time.Now()); !errors.Is(err, copies.ErrDiffers) || !strings.Contains(err.Error(), "ban-sao") {
		t.Errorf("different object in the copy: %v, want ErrDiffers naming the copy", err)
	}
}
