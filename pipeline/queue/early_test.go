package queue

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/state"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
	"github.com/sohoa-vn/sohoa/storage"
)

// pageTasksByFile returns the TaskIDs (first round) of the pages of b, by file.
func pageTasksByFile(b *pipeline.Batch) map[string][]string {
	out := map[string][]string{}
	for d, dr := range documents(b) {
		for _, pg := range dr.d.Pages {
			out[pg.File] = append(out[pg.File], pageTaskID(b.ID, d, pg.Index, 0))
		}
	}
	return out
}

// TestSubmitPagesStartEarly: while Submit stores originals, the batch is
// uploading (not queued), and the task of every page whose original is
// stored is already pending, for a worker to start; the batch task is
// enqueued only once every original is stored.
func TestSubmitPagesStartEarly(t *testing.T) {
	q, _, _ := newTestQueue(t)
	ctx := context.Background()
	b := loadSample(t)
	files, tasks := batchFiles(b), pageTasksByFile(b)
	checked := 0
	_, err := q.Submit(ctx, b, pipeline.LoadOptions{}, func(done, total int) {
		if done == total {
			return
		}
		if st, err := q.Status(ctx, b.ID); err != nil || st.State != state.BatchUploading {
			t.Errorf("%d of %d files stored: status %+v, %v; want uploading", done, total, st, err)
		}
		for _, f := range files[:done] {
			for _, id := range tasks[f] {
				ti, err := q.inspector.GetTaskInfo(taskQueue, id)
				if err != nil || ti.State != asynq.TaskStatePending {
					t.Errorf("%d of %d files stored: task %s of stored %s is %v, %v; want pending", done, total, id, f, taskState(ti), err)
				}
				checked++
			}
		}
		if ti, err := q.inspector.GetTaskInfo(taskQueue, batchTaskID(b.ID, 0)); !errors.Is(err, asynq.ErrTaskNotFound) && !errors.Is(err, asynq.ErrQueueNotFound) {
			t.Errorf("%d of %d files stored: batch task %v, %v; want none yet", done, total, taskState(ti), err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no page task checked before the last original was stored")
	}
	if st, err := q.Status(ctx, b.ID); err != nil || st.State != StateQueued {
		t.Errorf("after submit: status %+v, %v; want queued", st, err)
	}
}

// interruptedSubmit submits b to q with the inbox switched off after two
// files (TestSubmitResume), runs the page tasks Submit enqueued for them on
// a worker until they are done, and stops the worker. It returns how many
// pages ran.
func interruptedSubmit(t *testing.T, q *Queue, b *pipeline.Batch) int {
	t.Helper()
	interrupt(t, q, b)
	files := batchFiles(b)
	tasks := pageTasksByFile(b)
	n := len(tasks[files[0]]) + len(tasks[files[1]])
	if n == 0 {
		t.Fatal("the first two files hold no page")
	}
	_, stop := startWorker(t, q, 1)
	st := waitPages(t, q, b.ID, n)
	stop()
	if st.State != state.BatchUploading || st.PagesDone != n || st.DocumentsDone != 0 {
		t.Fatalf("after the pages of the interrupted submit ran: %+v; want uploading, %d pages and no document done", st, n)
	}
	for _, f := range files[:2] {
		for _, id := range tasks[f] {
			if ti, err := q.inspector.GetTaskInfo(taskQueue, id); err != nil || ti.State != asynq.TaskStateCompleted {
				t.Fatalf("page task %s: %v, %v; want completed (its TaskID taken)", id, taskState(ti), err)
			}
		}
	}
	return n
}

// interrupt submits b to q with the inbox switched off after two files
// (TestSubmitResume).
func interrupt(t *testing.T, q *Queue, b *pipeline.Batch) {
	t.Helper()
	inbox := q.stores.Inbox
	ctx, cancel := context.WithCancel(context.Background())
	q.stores.Inbox = switchedOff(inbox, b)
	if _, err := q.Submit(ctx, b, pipeline.LoadOptions{}, func(done, total int) {
		if done == 2 {
			cancel()
		}
	}); err == nil {
		t.Fatal("interrupted submit reported no error")
	}
	q.stores.Inbox = inbox
}

// pagesDone is a batch's status, finished (for testenv.WaitBatch) once
// want pages are done.
type pagesDone struct {
	*BatchStatus
	want int
}

func (p pagesDone) Finished() bool { return p.PagesDone+p.PagesFailed >= p.want }

// waitPages waits until n pages of batch id are done or failed.
func waitPages(t *testing.T, q *Queue, id string, n int) *BatchStatus {
	t.Helper()
	return testenv.WaitBatch(t, id, batchLimit, func(ctx context.Context, id string) (pagesDone, error) {
		st, err := q.Status(ctx, id)
		return pagesDone{st, n}, err
	}).BatchStatus
}

// TestSubmitResumeAfterPages: the pages of an interrupted submit ran while
// it was uploading; the resumed submit stores the rest, and every page is
// processed exactly once, every document built (those whose pages had all
// finished while uploading too) and the package written.
func TestSubmitResumeAfterPages(t *testing.T) {
	q, _, _ := newTestQueue(t)
	obs := &countingObserver{}
	q.opts.Observer = obs
	b := loadSample(t)
	interruptedSubmit(t, q, b)
	res, err := q.Submit(context.Background(), b, pipeline.LoadOptions{}, nil)
	if err != nil || res.Removed != 0 || !res.Enqueued {
		t.Fatalf("resumed submit: %+v, %v; want enqueued, nothing removed", res, err)
	}
	// The batch task enqueues the documents whose pages all finished while
	// the batch was uploading (no page task did).
	js, _ := json.Marshal(batchPayload{b.ID})
	if err := q.handleBatch(context.Background(), asynq.NewTask(TypeBatch, js)); err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, f := range batchFiles(b)[:2] {
		stored[f] = true
	}
	for d, dr := range documents(b) {
		ready := true
		for _, pg := range dr.d.Pages {
			ready = ready && stored[pg.File]
		}
		if ti, err := q.inspector.GetTaskInfo(taskQueue, docTaskID(b.ID, d, 0)); ready && (err != nil || ti.State != asynq.TaskStatePending) {
			t.Errorf("document %d, whose pages ran while uploading: task %v, %v; want pending", d, taskState(ti), err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	_, stop := startWorker(t, q, 2)
	defer stop()
	st := waitFinished(t, q, b.ID, batchLimit)
	if st.State != StateComplete || st.PagesDone != b.Pages() || st.DocumentsDone != b.Documents() {
		t.Fatalf("status = %+v; want complete, every page and document done", st)
	}
	if n := obs.done.Load(); n != int64(b.Pages()) || obs.failed.Load() != 0 {
		t.Errorf("%d pages processed, %d failed; want each of the %d once", n, obs.failed.Load(), b.Pages())
	}
}

// otherSample returns the sample batch with other bytes in one page (after
// the JPEG's end, so that it still reads): a different batch under its id.
func otherSample(t *testing.T) *pipeline.Batch {
	t.Helper()
	dir := copyBatch(t)
	page := filepath.Join(dir, "H49.64.33.2024.01.VTLT", "1", "page-001.jpg")
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, append(data, 0, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := pipeline.Load(context.Background(), dir, pipeline.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSubmitAbandonedForAnother: a submit killed after some of its pages
// ran, then a different batch under the same id: nothing of the first
// remains (its page results, its records, its tasks, whose TaskIDs the
// second batch's pages take), and the second batch is processed whole from
// its own originals.
func TestSubmitAbandonedForAnother(t *testing.T) {
	q, _, _ := newTestQueue(t)
	q.opts.CleanWork = false
	ctx := context.Background()
	a := loadSample(t)
	interruptedSubmit(t, q, a)

	b := otherSample(t)
	want, _, err := localSums(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Submit(ctx, b, pipeline.LoadOptions{}, nil); err != nil {
		t.Fatalf("a different batch under an id whose submit never completed: %v", err)
	}
	st, err := q.Status(ctx, b.ID)
	if err != nil || st.State != StateQueued || st.PagesDone != 0 || st.PagesFailed != 0 {
		t.Errorf("status after the second submit = %+v, %v; want queued, no page done", st, err)
	}
	left := 0
	q.stores.Work.List(ctx, b.ID+"/", func(storage.ObjectInfo) error { left++; return nil })
	if left != 0 {
		t.Errorf("the work store holds %d results of the abandoned submit", left)
	}
	for _, ids := range pageTasksByFile(b) {
		for _, id := range ids {
			if ti, err := q.inspector.GetTaskInfo(taskQueue, id); err != nil || ti.State != asynq.TaskStatePending {
				t.Errorf("page task %s of the second batch: %v, %v; want pending", id, taskState(ti), err)
			}
		}
	}

	if t.Failed() {
		t.FailNow() // the second batch's pages would not all run
	}
	_, stop := startWorker(t, q, 2)
	defer stop()
	st = waitFinished(t, q, b.ID, batchLimit)
	if st.State != StateComplete || st.PagesDone != b.Pages() || st.DocumentsDone != b.Documents() {
		t.Fatalf("status = %+v; want complete, every page and document done", st)
	}
	m, err := q.meta(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	for d, dr := range documents(b) {
		for _, pg := range dr.d.Pages {
			res, _, err := q.loadPage(ctx, b.ID, m, d, pg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Original.SHA256 != want[pg.File] {
				t.Errorf("page %d/%d was made from %s %s, want the second batch's %s", d, pg.Index, pg.File, res.Original.SHA256, want[pg.File])
			}
		}
	}
}

// TestSubmitAbandonedBusy: while a page task of an abandoned submit still
// runs, a different batch under its id is refused as busy, and nothing of
// the abandoned submit is removed (what the task records next would be
// taken for the new batch's).
func TestSubmitAbandonedBusy(t *testing.T) {
	q, inbox, _ := newTestQueue(t)
	a := loadSample(t)
	interrupt(t, q, a)
	started, release := make(chan struct{}, 1), make(chan struct{})
	mux := asynq.NewServeMux()
	mux.HandleFunc(TypePage, func(ctx context.Context, t *asynq.Task) error {
		select {
		case started <- struct{}{}:
		default:
		}
		<-release
		return nil
	})
	srv := asynq.NewServerFromRedisClient(q.Redis(), asynq.Config{Concurrency: 1, Logger: asynqLogger{q.opts.Logger}})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	defer close(release)
	<-started

	b := otherSample(t)
	before := inboxSums(t, inbox, a.ID)
	if _, err := q.Submit(context.Background(), b, pipeline.LoadOptions{}, nil); !errors.Is(err, ErrBusy) || !errors.Is(err, ErrConflict) {
		t.Fatalf("another batch while a page of the abandoned submit runs: %v, want ErrBusy", err)
	}
	if st, err := q.Status(context.Background(), a.ID); err != nil || st.State != state.BatchUploading || st.Pages != a.Pages() {
		t.Errorf("the abandoned submit after the refusal: %+v, %v; want it kept, uploading", st, err)
	}
	if after := inboxSums(t, inbox, a.ID); len(after) != len(before) {
		t.Errorf("the refused submit changed the inbox: %v, was %v", after, before)
	}
}
