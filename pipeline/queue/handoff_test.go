package queue

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline"
)

// handOffRun submits the sample batch to q, then runs each of its page tasks
// through the worker's handlers (q.Handler), one after the other, as a
// worker does, without a worker looking at the queue.
func handOffRun(t *testing.T, q *Queue) *pipeline.Batch {
	t.Helper()
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
	mux := q.Handler(pool)
	for d, dr := range documents(b) {
		for _, pg := range dr.d.Pages {
			js, _ := json.Marshal(pagePayload{b.ID, d, pg.Index})
			if err := mux.ProcessTask(ctx, asynq.NewTask(TypePage, js)); err != nil {
				t.Fatalf("page %d/%d: %v", d, pg.Index, err)
			}
		}
	}
	return b
}

// TestHandOff: the task that finishes a document's last page builds the
// document, and the one that finishes the batch's last document writes the
// package, without waiting for a worker's next look at the queue; the
// fallback tasks enqueued for them (claims, in case the worker dies) are
// gone once each stage is done, so nothing runs again later.
func TestHandOff(t *testing.T) {
	q, _, _ := newTestQueue(t)
	b := handOffRun(t, q)
	st, err := q.Status(context.Background(), b.ID)
	if err != nil || st.State != StateComplete || st.DocumentsDone != 4 || st.PagesDone != 4 {
		t.Fatalf("status after the page tasks alone = %+v, %v; want complete, 4 documents and 4 pages done", st, err)
	}
	ids := []string{packageTaskID(b.ID, 0)}
	for d := range documents(b) {
		ids = append(ids, docTaskID(b.ID, d, 0))
	}
	for _, id := range ids {
		if ti, err := q.inspector.GetTaskInfo(taskQueue, id); !errors.Is(err, asynq.ErrTaskNotFound) {
			t.Errorf("task %s of a stage run in place: %v, %v; want it deleted", id, taskState(ti), err)
		}
	}
}

// TestHandOffFailed: a document that fails when built in place (its PDF
// cannot be stored) leaves its task due at once, with its own retries and
// failure recording, not waiting for the fallback delay; the batch's
// package is then not written in place.
func TestHandOffFailed(t *testing.T) {
	q, _, _ := newTestQueue(t)
	work := &faultStore{Store: q.stores.Work, hits: map[string]int{}}
	q.stores.Work = work
	b := loadSample(t)
	work.set(docKey(b.ID, 0, "pdf"))
	handOffRun(t, q)
	if work.hits[docKey(b.ID, 0, "pdf")] == 0 {
		t.Fatal("document 0 was not built in place")
	}
	ti, err := q.inspector.GetTaskInfo(taskQueue, docTaskID(b.ID, 0, 0))
	if err != nil || ti.State != asynq.TaskStatePending {
		t.Fatalf("task of the document that failed in place: %v, %v; want pending", taskState(ti), err)
	}
	for d := 1; d < 4; d++ {
		if ti, err := q.inspector.GetTaskInfo(taskQueue, docTaskID(b.ID, d, 0)); !errors.Is(err, asynq.ErrTaskNotFound) {
			t.Errorf("document %d built in place: its task is %v, %v; want deleted", d, taskState(ti), err)
		}
	}
	st, err := q.Status(context.Background(), b.ID)
	if err != nil || st.State != StateQueued || st.DocumentsDone != 3 {
		t.Fatalf("status = %+v, %v; want queued with 3 documents done", st, err)
	}
}

// taskState returns the state of task ti, "none" for nil.
func taskState(ti *asynq.TaskInfo) string {
	if ti == nil {
		return "none"
	}
	return ti.State.String()
}
