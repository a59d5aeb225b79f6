package queue

// A minimal Retry for the dashboard and the API of "sohoa serve", kept apart
// so that it can give way to the queue's own retry when that lands.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hibiken/asynq"
)

// ErrPackaged is returned by Retry for a batch whose package has been written:
// a sealed package is not changed.
var ErrPackaged = errors.New("the batch's package has already been written")

// Retry runs again the failed pages of the given documents (numbers in batch
// order; all failed documents when docs is empty) of a batch that has not
// been packaged yet, and reports how many pages it re-enqueued.
//
// This is a minimal retry for the dashboard; it deletes the finished tasks of
// those pages and documents so that their TaskIDs can be used again.
func (q *Queue) Retry(ctx context.Context, id string, docs []int) (int, error) {
	st, err := q.Status(ctx, id)
	if err != nil {
		return 0, err
	}
	if st.Finished() {
		return 0, fmt.Errorf("retry %s: %w", id, ErrPackaged)
	}
	want := func(d int) bool {
		if len(docs) == 0 {
			return true
		}
		for _, x := range docs {
			if x == d {
				return true
			}
		}
		return false
	}
	fails, err := q.rdb.HGetAll(ctx, keyPageFails(id)).Result()
	if err != nil {
		return 0, fmt.Errorf("retry %s: %w", id, err)
	}
	docStatus, err := q.rdb.HGetAll(ctx, keyDocs(id)).Result()
	if err != nil {
		return 0, fmt.Errorf("retry %s: %w", id, err)
	}
	ins := asynq.NewInspectorFromRedisClient(q.rdb)
	del := func(taskID string) error {
		err := ins.DeleteTask("default", taskID)
		if err != nil && !errors.Is(err, asynq.ErrTaskNotFound) && !errors.Is(err, asynq.ErrQueueNotFound) {
			return fmt.Errorf("retry %s: task %s: %w", id, taskID, err)
		}
		return nil
	}
	var pages []pagePayload
	touched := map[int]bool{}
	for k := range fails {
		var d, p int
		if _, err := fmt.Sscanf(k, "%d/%d", &d, &p); err != nil || !want(d) {
			continue
		}
		pages = append(pages, pagePayload{id, d, p})
		touched[d] = true
	}
	for k, v := range docStatus {
		d, err := strconv.Atoi(k)
		if err == nil && strings.HasPrefix(v, "failed") && want(d) {
			touched[d] = true
		}
	}
	for _, p := range pages {
		if err := del(pageTaskID(id, p.Doc, p.Page)); err != nil {
			return 0, err
		}
		pipe := q.rdb.TxPipeline()
		pipe.HDel(ctx, keyPageFails(id), fmt.Sprintf("%d/%d", p.Doc, p.Page))
		pipe.SRem(ctx, keyDocPages(id, p.Doc), p.Page)
		if _, err := pipe.Exec(ctx); err != nil {
			return 0, fmt.Errorf("retry %s: %w", id, err)
		}
	}
	for d := range touched {
		if err := del(docTaskID(id, d)); err != nil {
			return 0, err
		}
		if err := q.rdb.HDel(ctx, keyDocs(id), strconv.Itoa(d)).Err(); err != nil {
			return 0, fmt.Errorf("retry %s: %w", id, err)
		}
	}
	for _, p := range pages {
		if err := q.enqueue(ctx, TypePage, p, pageTaskID(id, p.Doc, p.Page)); err != nil {
			return 0, err
		}
	}
	files, err := q.structure(ctx, id)
	if err != nil {
		return 0, err
	}
	for _, fd := range files {
		for _, dd := range fd.Documents {
			if touched[dd.Doc] { // a document that failed in its PDF stage, with every page done
				if err := q.docPagesDone(ctx, id, dd.Doc, len(dd.Pages)); err != nil {
					return 0, err
				}
			}
		}
	}
	q.opts.Logger.Info("batch retried", "batch", id, "pages", len(pages), "documents", len(touched))
	return len(pages), nil
}
