package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/state"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
	"github.com/sohoa-vn/sohoa/storage"
)

// TestSubmitResume interrupts a submit half way; the re-run uploads only the
// missing files and the batch is enqueued exactly once.
func TestSubmitResume(t *testing.T) {
	q, inbox, url := newTestQueue(t)
	b := loadSample(t)
	ctx, cancel := context.WithCancel(context.Background())
	q.stores.Inbox = switchedOff(inbox, b)
	_, err := q.Submit(ctx, b, pipeline.LoadOptions{}, func(done, total int) {
		if done == 2 {
			cancel() // the station is switched off after two files
		}
	})
	if err == nil {
		t.Fatal("interrupted submit reported no error")
	}
	if n := inbox.puts.Load(); n != 2 {
		t.Errorf("%d PUTs in the interrupted run, want 2", n)
	}
	stored := 0
	inbox.List(context.Background(), b.ID+"/", func(storage.ObjectInfo) error { stored++; return nil })
	if stored != 2 {
		t.Fatalf("%d objects in the inbox after the interrupted run, want 2", stored)
	}
	// Shown as uploading (đang tải lên), not queued: the id is not taken
	// (TestSubmitAfterFailedSubmit).
	if st, err := q.Status(context.Background(), b.ID); err != nil || st.State != state.BatchUploading {
		t.Errorf("interrupted batch: status %+v, %v; want uploading", st, err)
	}

	q.stores.Inbox = inbox // switched on again
	inbox.puts.Store(0)
	res, err := q.Submit(context.Background(), b, pipeline.LoadOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 5 || res.Uploaded != 3 || !res.Enqueued || inbox.puts.Load() != 3 {
		t.Errorf("re-run: %+v, %d PUTs; want 5 files, 3 uploaded and PUT, enqueued", res, inbox.puts.Load())
	}

	inbox.puts.Store(0)
	res, err = q.Submit(context.Background(), b, pipeline.LoadOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Uploaded != 0 || res.Enqueued || inbox.puts.Load() != 0 {
		t.Errorf("third run: %+v, %d PUTs; want nothing uploaded or enqueued", res, inbox.puts.Load())
	}

	ro, _ := asynq.ParseRedisURI(url)
	insp := asynq.NewInspector(ro)
	defer insp.Close()
	tasks, err := insp.ListPendingTasks("default")
	if err != nil {
		t.Fatal(err)
	}
	// The batch task, and the page tasks Submit enqueued as their originals arrived.
	want := []string{TypeBatch + " " + b.ID}
	for d, dr := range documents(b) {
		for _, pg := range dr.d.Pages {
			want = append(want, TypePage+" "+pageTaskID(b.ID, d, pg.Index, 0))
		}
	}
	var got []string
	for _, ti := range tasks {
		got = append(got, ti.Type+" "+ti.ID)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("pending tasks = %q, want %q", got, want)
	}
	st, err := q.Status(context.Background(), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != StateQueued || st.Documents != 4 || st.Pages != 4 || st.PagesDone != 0 {
		t.Errorf("status = %+v", st)
	}
}

// TestCheckNoEviction: workers refuse a Redis that may evict keys.
func TestCheckNoEviction(t *testing.T) {
	q, _, _ := newTestQueue(t)
	ctx := context.Background()
	if err := q.CheckNoEviction(ctx); err != nil {
		t.Fatalf("noeviction Redis refused: %v", err)
	}
	rdb := q.rdb.(*redis.Client)
	if err := rdb.ConfigSet(ctx, "maxmemory-policy", "allkeys-lru").Err(); err != nil {
		t.Fatal(err)
	}
	err := q.CheckNoEviction(ctx)
	if err := rdb.ConfigSet(ctx, "maxmemory-policy", "noeviction").Err(); err != nil {
		t.Fatal(err)
	}
	if err == nil || !strings.Contains(err.Error(), `"allkeys-lru"`) {
		t.Errorf("allkeys-lru Redis: %v, want refused", err)
	}
}

// TestDuplicateDelivery runs a batch, then delivers its page, document and
// package tasks again, as asynq may (at least once): nothing is duplicated or changed.
func TestDuplicateDelivery(t *testing.T) {
	q, _, _ := newTestQueue(t)
	ctx := context.Background()
	b := loadSample(t)
	if _, err := q.Submit(ctx, b, pipeline.LoadOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	pool, stop := startWorker(t, q, 2)
	defer stop()
	st := waitFinished(t, q, b.ID, batchLimit)
	if st.State != StateComplete || st.DocumentsDone != 4 || st.PagesDone != 4 {
		t.Fatalf("status = %+v", st)
	}
	waitEmpty(t, q.stores.Work)
	work, archive := snapshot(t, q.stores.Work), snapshot(t, q.stores.Archive)
	if len(archive) == 0 {
		t.Fatal("nothing in the archive")
	}

	task := func(typ string, p any) *asynq.Task {
		js, _ := json.Marshal(p)
		return asynq.NewTask(typ, js)
	}
	if err := q.handlePage(ctx, task(TypePage, pagePayload{b.ID, 0, 1}), pool); err != nil {
		t.Fatal(err)
	}
	if err := q.handlePage(ctx, task(TypePage, pagePayload{b.ID, 0, 1}), pool); err != nil {
		t.Fatal(err)
	}
	if err := q.handleDocument(ctx, task(TypeDocument, docPayload{b.ID, 0})); err != nil {
		t.Fatal(err)
	}
	if err := q.handlePackage(ctx, task(TypePackage, batchPayload{b.ID})); err != nil {
		t.Fatal(err)
	}
	if !sameSnapshot(work, snapshot(t, q.stores.Work)) {
		t.Error("work store changed by duplicate deliveries")
	}
	if !sameSnapshot(archive, snapshot(t, q.stores.Archive)) {
		t.Error("archive changed by duplicate deliveries")
	}
	if st2, err := q.Status(ctx, b.ID); err != nil || !reflect.DeepEqual(st2, st) {
		t.Errorf("status after duplicates = %+v, %v; want %+v", st2, err, st)
	}
}

// BenchmarkQueueBatch runs the sample batch (4 pages) through Redis and MinIO
// with one in-process worker of 2 engines, from submit to the package in the
// archive. Compare with pipeline.BenchmarkProcess on the same pages.
func BenchmarkQueueBatch(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		q, _, _ := newTestQueue(b)
		batch, err := pipeline.Load(context.Background(), "../../testdata/batch", pipeline.LoadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		_, stop := startWorker(b, q, 2)
		b.StartTimer()
		if _, err := q.Submit(context.Background(), batch, pipeline.LoadOptions{}, nil); err != nil {
			b.Fatal(err)
		}
		waitFinished(b, q, batch.ID, 5*time.Minute)
		b.StopTimer()
		stop()
		b.StartTimer()
	}
	b.ReportMetric(float64(4*b.N)/b.Elapsed().Minutes(), "pages/min")
}

// TestStructure: the batch structure stored at submit gives workers the batch
// exactly as Load gave it, unreadable pages included, without its files.
func TestStructure(t *testing.T) {
	dir := t.TempDir()
	if err := testenv.CopyTree("../../testdata/batch", dir); err != nil {
		t.Fatal(err)
	}
	b, err := pipeline.Load(context.Background(), dir, pipeline.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Load refuses unreadable headers; a structure may still carry a page
	// found unreadable otherwise.
	documents(b)[1].d.Pages[0].Unreadable = errors.New("scan: page-001.tif: truncated file")
	unreadable := 0
	for _, dr := range documents(b) {
		for _, pg := range dr.d.Pages {
			if pg.Unreadable != nil {
				unreadable++
			}
		}
	}
	if unreadable != 1 {
		t.Fatalf("%d unreadable pages in the loaded batch, want the truncated TIFF", unreadable)
	}
	js, err := encodeStructure(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeStructure(js, b.Dir)
	if err != nil {
		t.Fatal(err)
	}
	compact := func(m json.RawMessage) string {
		var buf bytes.Buffer
		json.Compact(&buf, m)
		return buf.String()
	}
	if compact(got.Extra) != compact(b.Extra) {
		t.Errorf("Extra = %s, want %s", got.Extra, b.Extra)
	}
	got.Extra = b.Extra
	want := documents(b)
	for i, dr := range documents(got) {
		for j, pg := range dr.d.Pages {
			w := want[i].d.Pages[j]
			if (pg.Unreadable == nil) != (w.Unreadable == nil) || (pg.Unreadable != nil && pg.Unreadable.Error() != w.Unreadable.Error()) {
				t.Errorf("document %d page %d: Unreadable %v, want %v", i, j+1, pg.Unreadable, w.Unreadable)
			}
			pg.Unreadable = w.Unreadable
		}
	}
	if !reflect.DeepEqual(got, b) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(b, "", " ")
		t.Errorf("structure round trip:\n%s\nwant:\n%s", g, w)
	}
	if b.Dir != dir || documents(b)[1].d.Pages[0].Unreadable == nil {
		t.Error("encodeStructure changed the batch")
	}
}

// TestPageFetchesItsFile: a page task downloads its own file from the inbox,
// not the whole batch, and keeps the result it stored (keep) beside it.
func TestPageFetchesItsFile(t *testing.T) {
	q, inbox, _ := newTestQueue(t)
	ctx := context.Background()
	b := loadSample(t)
	if _, err := q.Submit(ctx, b, pipeline.LoadOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	pool, err := ocr.NewPool(1, ocr.Options{Languages: "vie"})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	js, _ := json.Marshal(pagePayload{b.ID, 3, 1})
	if err := q.handlePage(ctx, asynq.NewTask(TypePage, js), pool); err != nil {
		t.Fatal(err)
	}
	if n := inbox.gets.Load(); n != 1 {
		t.Errorf("%d GETs from the inbox for one page, want 1", n)
	}
	var local []string
	filepath.WalkDir(q.opts.CacheDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(q.opts.CacheDir, p)
			local = append(local, filepath.ToSlash(rel))
		}
		return nil
	})
	want := []string{".kept/" + b.ID + "/v0/pages/3/1.gob", b.ID + "/H49.64.33.2025.02.VTLT/02-bb-giao-nhan.jpg"}
	if !slices.Equal(local, want) {
		t.Errorf("worker's local files: %q, want only %q", local, want)
	}
	if ok, err := q.rdb.SIsMember(ctx, keyDocPages(b.ID, 3), 1).Result(); err != nil || !ok {
		t.Errorf("page not recorded as done: %v, %v", ok, err)
	}
}

// TestDiffSnapshots: an object deleted between two snapshots is reported, as
// are added and changed ones (sameSnapshot-style loops over the second
// snapshot alone miss deletions).
func TestDiffSnapshots(t *testing.T) {
	a := map[string]string{"b/1": "x", "b/2": "y", "b/3": "z"}
	b := map[string]string{"b/1": "x", "b/3": "w", "b/4": "v"}
	got := strings.Join(diffSnapshots(a, b), ", ")
	if want := "deleted b/2, changed b/3, added b/4"; got != want {
		t.Errorf("diffSnapshots = %q, want %q", got, want)
	}
	if d := diffSnapshots(a, a); len(d) != 0 {
		t.Errorf("diffSnapshots of a snapshot with itself = %v", d)
	}
}
