package queue

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
	"github.com/sohoa-vn/sohoa/storage"
)

// refusingStore refuses Puts of chosen keys with a permanent error.
type refusingStore struct {
	storage.Store
	keys map[string]error
}

func (s *refusingStore) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	if err := s.keys[key]; err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	return s.Store.Put(ctx, key, r, size, opts)
}

// TestPermanentStorageErrors: an original whose content no longer matches the
// SHA-256 recorded at submit, and a document whose PDF the store refuses as an
// invalid key, fail their documents at once (no retry), each with the reason;
// the other documents go on, and the package task, meeting the altered
// original, fails the batch at once with the reason.
func TestPermanentStorageErrors(t *testing.T) {
	q, _, url := newTestQueue(t)
	q.opts.Retries = 3
	ctx := context.Background()
	b := loadSample(t)
	if _, err := q.Submit(ctx, b, pipeline.LoadOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	// The first original is altered in the inbox after submit (bit rot, or a
	// hand that replaced it behind sohoa's back).
	orig := documents(b)[0].d.Pages[0].File
	key := inboxKey(b.ID, orig)
	if err := q.stores.Inbox.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	forged := "not the scanned page"
	if _, err := q.stores.Inbox.Put(ctx, key, strings.NewReader(forged), int64(len(forged)), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	q.stores.Work = &refusingStore{Store: q.stores.Work, keys: map[string]error{
		docKey(b.ID, 2, "pdf"): storage.ErrInvalidKey,
	}}
	_, stop := startWorker(t, q, 2)
	defer stop()
	st := waitFinished(t, q, b.ID, batchLimit)
	// The package task, which puts every original into the package, meets the
	// altered one too: the batch fails at once, with the reason, rather than
	// package it.
	if st.State != StateFailed || st.DocumentsDone != 2 || st.DocumentsFailed != 2 || st.PagesFailed != 1 || st.PagesDone != 3 ||
		!strings.HasPrefix(st.Error, "package: ") || !strings.Contains(st.Error, orig) || !strings.Contains(st.Error, storage.ErrChecksum.Error()) {
		t.Fatalf("status = %+v", st)
	}
	if r := st.Failures[0]; !strings.Contains(r, orig) || !strings.Contains(r, storage.ErrChecksum.Error()) {
		t.Errorf("reason of the altered original's document: %q, want its file and %q", r, storage.ErrChecksum)
	}
	if r := st.Failures[2]; !strings.HasPrefix(r, "document: ") || !strings.Contains(r, storage.ErrInvalidKey.Error()) {
		t.Errorf("reason of the refused document: %q, want %q", r, storage.ErrInvalidKey)
	}
	d, err := q.Detail(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if pd := d.Files[0].Documents[0].Pages[0]; pd.State != PageFailed || pd.Stage != StageStorage {
		t.Errorf("altered page: %+v, want failed at stage %s", pd, StageStorage)
	}
	ro, err := asynq.ParseRedisURI(url)
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(ro)
	defer insp.Close()
	for _, id := range []string{pageTaskID(b.ID, 0, 1, 0), docTaskID(b.ID, 2, 0), packageTaskID(b.ID, 0)} {
		// The failure handler records the batch's state before asynq moves
		// the task out of active: wait for the move, not for a time.
		ti, err := insp.GetTaskInfo("default", id)
		for deadline := time.Now().Add(testenv.WaitLimit); err == nil && ti.State == asynq.TaskStateActive && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
			ti, err = insp.GetTaskInfo("default", id)
		}
		if err != nil || ti.Retried != 0 || ti.State != asynq.TaskStateArchived {
			t.Errorf("task %s: %+v, %v; want archived without a retry", id, ti, err)
		}
	}
}
