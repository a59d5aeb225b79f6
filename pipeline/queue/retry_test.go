package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/minio/minio-go/v7"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/s3"
)

// faultStore fails Puts and Gets of chosen keys with a transient error while its faults are on.
type faultStore struct {
	storage.Store
	mu   sync.Mutex
	keys map[string]bool
	hits map[string]int
}

func (f *faultStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	f.mu.Lock()
	fail := f.keys[key]
	if fail {
		f.hits[key]++
	}
	f.mu.Unlock()
	if fail {
		return nil, storage.Transient(fmt.Errorf("injected fault: S3 unavailable for %s", key))
	}
	return f.Store.Get(ctx, key)
}

func (f *faultStore) set(keys ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = map[string]bool{}
	for _, k := range keys {
		f.keys[k] = true
	}
}

func (f *faultStore) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	f.mu.Lock()
	fail := f.keys[key]
	if fail {
		f.hits[key]++
	}
	f.mu.Unlock()
	if fail {
		return storage.ObjectInfo{}, storage.Transient(fmt.Errorf("injected fault: S3 unavailable for %s", key))
	}
	return f.Store.Put(ctx, key, r, size, opts)
}

// newLockedQueue is newTestQueue with an object-locked archive under one-day
// GOVERNANCE retention and a work store whose Puts can be made to fail.
func newLockedQueue(t *testing.T) (*Queue, *faultStore, *s3.Store) {
	t.Helper()
	q, _, _ := newTestQueue(t)
	ws := q.stores.Work.(*s3.Store)
	arch := newBucket(t, ws.Bucket()+"-lock", true)
	work := &faultStore{Store: ws, hits: map[string]int{}}
	q.stores.Work, q.stores.Archive = work, arch
	q.opts.Retention = func(now time.Time) *storage.Retention {
		return &storage.Retention{Mode: "GOVERNANCE", Until: now.Add(24 * time.Hour)}
	}
	return q, work, arch
}

func checkBag(t *testing.T, dir, status, docs string) {
	t.Helper()
	probs, err := bag.Validate(dir)
	if err != nil || len(probs) != 0 {
		t.Errorf("package: %v %v", probs, err)
	}
	info, err := bag.ReadInfo(filepath.Join(dir, bag.InfoFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Get(pipeline.BagStatusLabel) != status || info.Get("Sohoa-Documents") != docs {
		t.Errorf("bag-info: %s %q, Sohoa-Documents %q; want %q, %q", pipeline.BagStatusLabel, info.Get(pipeline.BagStatusLabel),
			info.Get("Sohoa-Documents"), status, docs)
	}
}

// TestRetryTransient: a page and a document whose task runs out of retries on
// a transient S3 fault are recorded as failed with the reason; the package is
// written incomplete and unlocked. Once S3 works again, Retry re-runs just
// those and the complete, locked package replaces the incomplete one, every
// document exactly once.
//
// layout: long: one scenario told step by step against real services, each
// step asserting on the state the previous one left; split, its steps would
// only be read together (issue 11 left its assertions as they were).
func TestRetryTransient(t *testing.T) {
	q, work, arch := newLockedQueue(t)
	ctx := context.Background()
	b := loadSample(t)
	work.set(pageKey(b.ID, 0, 1), docKey(b.ID, 2, "pdf"))
	if _, err := q.Submit(ctx, b, pipeline.LoadOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	_, stop := startWorker(t, q, 2)
	defer stop()
	st := waitFinished(t, q, b.ID, batchLimit)
	if st.State != StateIncomplete || st.DocumentsDone != 2 || st.DocumentsFailed != 2 || st.PagesFailed != 1 || st.PagesDone != 3 {
		t.Fatalf("status = %+v", st)
	}
	if r := st.Failures[0]; !strings.Contains(r, "injected fault") || !strings.Contains(r, "page-001.jpg") {
		t.Errorf("page failure reason %q", r)
	}
	if r := st.Failures[2]; !strings.HasPrefix(r, "document: ") || !strings.Contains(r, "injected fault") {
		t.Errorf("document failure reason %q", r)
	}
	work.mu.Lock()
	if n := work.hits[pageKey(b.ID, 0, 1)]; n != 2 {
		t.Errorf("failing page stored %d times, want 2 (the task and its one retry)", n)
	}
	work.mu.Unlock()
	// The 3 pages and the 2 documents done are kept for retry. The failed
	// document's text and ALTO may be there too: they are stored beside its
	// PDF, whose put is the one that fails, and a retry finds them equal.
	kept := snapshot(t, work.Store)
	want := []string{pageKey(b.ID, 1, 1), pageKey(b.ID, 2, 1), pageKey(b.ID, 3, 1)}
	for _, d := range []int{1, 3} {
		for _, ext := range []string{"pdf", "txt", "alto.xml"} {
			want = append(want, docKey(b.ID, d, ext))
		}
	}
	found := 0
	for _, k := range want {
		if _, ok := kept[k]; ok {
			found++
		} else {
			t.Errorf("work store of the incomplete batch: %s not kept for retry", k)
		}
	}
	for k := range kept {
		if !slices.Contains(want, k) && k != docKey(b.ID, 2, "txt") && k != docKey(b.ID, 2, "alto.xml") {
			t.Errorf("work store of the incomplete batch: unexpected object %s", k)
		}
	}
	if found != 9 {
		t.Errorf("work store of the incomplete batch: %d of the 9 objects kept for retry", found)
	}
	dir, pdfs := testenv.FetchPackage(t, arch, b.ID)
	if pdfs != 2 {
		t.Errorf("incomplete package has %d PDFs, want 2", pdfs)
	}
	checkBag(t, dir, "incomplete", "2 of 4")
	info := filepath.ToSlash(b.ID + "/" + bag.InfoFile)
	if mode := retentionMode(t, arch, info); mode != "" {
		t.Errorf("incomplete package is locked (%s)", mode)
	}

	// S3 is back.
	work.set()
	if _, err := q.Retry(ctx, b.ID, []string{"H49.64.33.2024.01.VTLT.0000002"}, tester); !errors.Is(err, ErrUnknownDocument) {
		t.Errorf("retry of a document that did not fail: %v, want ErrUnknownDocument", err)
	}
	// Two operators retry at the same time: one round of tasks is started. The
	// other is told the batch runs, or, if it came while the first was
	// enqueueing, enqueues the same tasks again (refused by their TaskIDs).
	var wg sync.WaitGroup
	var results [2]*RetryResult
	var errs [2]error
	for i := range results {
		wg.Add(1)
		go func() { defer wg.Done(); results[i], errs[i] = q.Retry(ctx, b.ID, nil, tester) }()
	}
	wg.Wait()
	var res *RetryResult
	for i, err := range errs {
		switch {
		case err == nil && res == nil:
			res = results[i]
		case err == nil:
			if fmt.Sprint(results[i]) != fmt.Sprint(res) {
				t.Errorf("concurrent retries did different things: %+v and %+v", res, results[i])
			}
		case !errors.Is(err, ErrRunning):
			t.Fatalf("concurrent retry: %v", err)
		}
	}
	if res == nil {
		t.Fatal("neither of two concurrent retries re-ran the batch")
	}
	if fmt.Sprint(res.Documents) != "[0 2]" || res.Pages != 1 || res.Package || res.Batch {
		t.Errorf("retry = %+v, want documents 0 and 2, one page", res)
	}
	if _, err := q.Retry(ctx, b.ID, nil, tester); !errors.Is(err, ErrRunning) {
		t.Errorf("retry while running: %v, want ErrRunning", err)
	}
	st = waitFinished(t, q, b.ID, batchLimit)
	if st.State != StateComplete || st.DocumentsDone != 4 || st.PagesDone != 4 || st.PagesFailed != 0 || st.Retries != 1 || len(st.Failures) != 0 {
		t.Fatalf("status after retry = %+v", st)
	}
	dir, pdfs = testenv.FetchPackage(t, arch, b.ID)
	if pdfs != 4 {
		t.Errorf("complete package has %d PDFs, want 4", pdfs)
	}
	checkBag(t, dir, "complete", "4 of 4")
	for _, key := range []string{info, b.ID + "/data/H49.64.33.2024.01.VTLT/H49.64.33.2024.01.VTLT.1.pdf"} {
		if mode, until, err := arch.Client().GetObjectRetention(ctx, arch.Bucket(), key, ""); err != nil || mode == nil ||
			*mode != "GOVERNANCE" || until == nil || until.Before(time.Now().Add(23*time.Hour)) {
			t.Errorf("retention of %s: %v until %v, %v; want GOVERNANCE", key, mode, until, err)
		}
	}
	waitEmpty(t, work.Store)
	if res, err := q.Retry(ctx, b.ID, nil, tester); err != nil || !res.Nothing() {
		t.Errorf("retry of a complete batch: %+v, %v; want nothing to do", res, err)
	}
}

// TestRetryFailedTasks: a batch task (of a batch submitted without its
// structure) and then a package task that run out of
// retries fail the batch with the reason (nothing is lost silently); Retry
// re-runs each, and the second time the package is written complete and
// locked, over the objects that the failed package task had written.
func TestRetryFailedTasks(t *testing.T) {
	q, _, arch := newLockedQueue(t)
	ctx := context.Background()
	b := loadSample(t)
	inbox, archive := &faultStore{Store: q.stores.Inbox, hits: map[string]int{}}, &faultStore{Store: arch, hits: map[string]int{}}
	q.stores.Inbox, q.stores.Archive = inbox, archive
	if _, err := q.Submit(ctx, b, pipeline.LoadOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	// As submitted by an earlier sohoa, without the structure (and with the
	// batch task alone, not the page tasks Submit enqueues): workers
	// download the whole batch and load it, and the inbox fails them.
	if err := q.rdb.Del(ctx, keyStructure(b.ID)).Err(); err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspectorFromRedisClient(q.rdb)
	for d, dr := range documents(b) {
		for _, pg := range dr.d.Pages {
			if err := insp.DeleteTask("default", pageTaskID(b.ID, d, pg.Index, 0)); err != nil {
				t.Fatal(err)
			}
		}
	}
	inbox.set(inboxKey(b.ID, pipeline.MetadataFile))
	archive.set(b.ID + "/" + bag.TagManifestFile) // the last object of the package
	_, stop := startWorker(t, q, 2)
	defer stop()
	st := waitFinished(t, q, b.ID, batchLimit)
	if st.State != StateFailed || !strings.HasPrefix(st.Error, "batch: ") || !strings.Contains(st.Error, "injected fault") {
		t.Fatalf("status = %+v, want failed in the batch task", st)
	}

	inbox.set()
	res, err := q.Retry(ctx, b.ID, nil, tester)
	if err != nil || !res.Batch || res.Package || len(res.Documents) != 0 {
		t.Fatalf("retry = %+v, %v; want the batch task", res, err)
	}
	st = waitFinished(t, q, b.ID, batchLimit)
	if st.State != StateFailed || !strings.HasPrefix(st.Error, "package: ") || !strings.Contains(st.Error, bag.TagManifestFile) ||
		st.DocumentsDone != 4 || st.Retries != 1 {
		t.Fatalf("status = %+v, want failed in the package task", st)
	}
	if _, err := arch.Stat(ctx, b.ID+"/"+bag.InfoFile); err != nil {
		t.Fatalf("the failed package task wrote nothing before the fault: %v", err)
	}

	archive.set()
	res, err = q.Retry(ctx, b.ID, nil, tester)
	if err != nil || !res.Package || res.Batch || len(res.Documents) != 0 {
		t.Fatalf("retry = %+v, %v; want the package task", res, err)
	}
	st = waitFinished(t, q, b.ID, batchLimit)
	if st.State != StateComplete || st.DocumentsDone != 4 || st.PagesDone != 4 || st.Error != "" || st.Retries != 2 {
		t.Fatalf("status after the second retry = %+v", st)
	}
	dir, pdfs := testenv.FetchPackage(t, arch, b.ID)
	if pdfs != 4 {
		t.Errorf("package has %d PDFs, want 4", pdfs)
	}
	checkBag(t, dir, "complete", "4 of 4")
	key := b.ID + "/" + bag.TagManifestFile
	if mode, _, err := arch.Client().GetObjectRetention(ctx, arch.Bucket(), key, ""); err != nil || mode == nil || *mode != "GOVERNANCE" {
		t.Errorf("retention of %s: %v, %v", key, mode, err)
	}
}

// retentionMode returns the retention mode of the object at key in the
// object-locked bucket of s, "" when it has none. Only S3's answer that the
// object has no lock configuration means none: any other error (a missing
// object, a failed request) fails the test.
func retentionMode(t *testing.T, s *s3.Store, key string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Stat(ctx, key); err != nil {
		t.Fatalf("retention of %s: %v", key, err)
	}
	mode, _, err := s.Client().GetObjectRetention(ctx, s.Bucket(), key, "")
	switch {
	case err != nil && minio.ToErrorResponse(err).Code == "NoSuchObjectLockConfiguration":
		return ""
	case err != nil:
		t.Fatalf("retention of %s: %v", key, err)
	case mode == nil:
		return ""
	}
	return string(*mode)
}

// waitEmpty waits until the store holds no object, as it should shortly after a
// batch's complete package is written (its work objects are deleted then).
func waitEmpty(t *testing.T, s storage.Store) {
	t.Helper()
	deadline := time.Now().Add(testenv.WaitLimit)
	for {
		var keys []string
		if err := s.List(context.Background(), "", func(o storage.ObjectInfo) error { keys = append(keys, o.Key); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(keys) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d objects still in the work store: %v", len(keys), keys)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
