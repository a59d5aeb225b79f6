package queue

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/s3"
)

// deleteCounter counts the Delete and DeleteMany calls made to an S3 store.
type deleteCounter struct {
	*s3.Store
	deletes, batches atomic.Int64
}

func (d *deleteCounter) Delete(ctx context.Context, key string) error {
	d.deletes.Add(1)
	return d.Store.Delete(ctx, key)
}

func (d *deleteCounter) DeleteMany(ctx context.Context, keys []string) error {
	d.batches.Add(1)
	return d.Store.DeleteMany(ctx, keys)
}

// TestCleanWorkBatchDelete checks that cleaning a packaged batch's results
// from the work store deletes them in one DeleteMany, not one by one, and
// leaves other batches' results alone.
func TestCleanWorkBatchDelete(t *testing.T) {
	q, _, _ := newTestQueue(t)
	work := &deleteCounter{Store: q.stores.Work.(*s3.Store)}
	q.stores.Work = work
	ctx := context.Background()
	put := func(key string) {
		if _, err := work.Put(ctx, key, strings.NewReader(key), int64(len(key)), storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 12 {
		put(fmt.Sprintf("b1/pages/%d/p1.pdf", i))
	}
	put("b10/pages/0/p1.pdf") // another batch, whose id starts with b1
	q.cleanWork(ctx, "b1")
	var left []string
	if err := work.List(ctx, "", func(o storage.ObjectInfo) error { left = append(left, o.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0] != "b10/pages/0/p1.pdf" {
		t.Errorf("work store after cleaning b1 = %q, want only b10's result", left)
	}
	if d, b := work.deletes.Load(), work.batches.Load(); d != 0 || b != 1 {
		t.Errorf("cleaning made %d Delete and %d DeleteMany calls, want 0 and 1", d, b)
	}
}
