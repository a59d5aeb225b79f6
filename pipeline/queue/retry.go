package queue

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ErrRunning is returned by Retry for a batch whose tasks have not all ended.
var ErrRunning = errors.New("batch still being processed")

// RetryResult says what Retry re-runs.
type RetryResult struct {
	Documents []int // documents re-run, by number in batch order (0-based)
	Pages     int   // failed pages re-run
	Batch     bool  // the batch task is re-run (it had failed)
	Package   bool  // the package task is re-run (it had failed)
}

// Nothing reports whether there was nothing to re-run.
func (r *RetryResult) Nothing() bool { return len(r.Documents) == 0 && !r.Batch && !r.Package }

// Retry re-runs what failed in a finished batch: the failed pages of its
// failed documents (documents that failed while being built are built
// again), then their documents and the package; or the batch or package task
// when one of those failed. docs, when not empty, limits the re-run to the
// named documents (mã lưu trữ tài liệu, folder or file in the batch, or
// 1-based number in batch order), which must have failed. The tasks run in a
// new round, with new TaskIDs; pages and documents that are done are not
// redone. A package written incomplete is replaced by the new one, locked if
// it is complete. Retry returns ErrRunning while the batch's tasks run.
//
// Retry first records what it re-runs, in one Redis transaction that fails
// (ErrRunning) if another Retry of the batch got there first, then enqueues
// it: a Retry interrupted in between is finished by calling Retry again.
func (q *Queue) Retry(ctx context.Context, id string, docs []string) (*RetryResult, error) {
	var tasks []string
	err := q.rdb.Watch(ctx, func(tx *redis.Tx) error {
		var err error
		tasks, err = planRetry(ctx, tx, id, docs)
		return err
	}, keyBatch(id), keyRetry(id))
	if errors.Is(err, redis.TxFailedErr) {
		return nil, fmt.Errorf("retry %s: retried at the same time by someone else: %w", id, ErrRunning)
	}
	if err != nil {
		return nil, err
	}
	res := &RetryResult{}
	if len(tasks) == 0 {
		return res, nil
	}
	return res, q.enqueueRetry(ctx, id, tasks, res)
}

// planRetry records in a transaction on tx what Retry re-runs, and returns
// the tasks to enqueue (those of an interrupted Retry, if any).
func planRetry(ctx context.Context, tx *redis.Tx, id string, docs []string) ([]string, error) {
	h, err := tx.HGetAll(ctx, keyBatch(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("retry %s: %w", id, err)
	}
	if h["submitted"] == "" {
		return nil, fmt.Errorf("retry %s: %w", id, ErrUnknownBatch)
	}
	if pending, err := tx.SMembers(ctx, keyRetry(id)).Result(); err != nil {
		return nil, fmt.Errorf("retry %s: %w", id, err)
	} else if len(pending) > 0 {
		return pending, nil // finish an interrupted Retry
	}
	if h["state"] == StateQueued {
		return nil, fmt.Errorf("retry %s: %w", id, ErrRunning)
	}
	status, err := tx.HGetAll(ctx, keyDocs(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("retry %s: %w", id, err)
	}
	ndocs, _ := strconv.Atoi(h["documents"])
	sel, err := retrySelection(ctx, tx, id, docs, status, ndocs)
	if err != nil {
		return nil, err
	}
	tasks, pageKeys, err := retryTasks(ctx, tx, id, sel)
	if err != nil {
		return nil, err
	}
	if len(sel) == 0 && h["state"] == StateFailed {
		if len(status) == ndocs {
			tasks = append(tasks, "package")
		} else {
			tasks = append(tasks, "batch")
		}
	}
	if len(tasks) == 0 {
		// Nothing failed, as far as what was read says. The reads are not a
		// snapshot: make sure no other Retry changed the batch meanwhile (the
		// transaction fails if a watched key changed).
		if _, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Ping(ctx); return nil }); err != nil {
			return nil, fmt.Errorf("retry %s: %w", id, err)
		}
		return nil, nil
	}
	round, _ := strconv.Atoi(h["retries"])
	if err := recordRetry(ctx, tx, id, round, sel, tasks, pageKeys); err != nil {
		return nil, err
	}
	return tasks, nil
}

// retrySelection returns the failed documents of batch id (status: the
// documents' status, ndocs: how many there are) that Retry re-runs, sorted:
// those named in docs, which must have failed, or every failed one when
// docs is empty.
func retrySelection(ctx context.Context, tx *redis.Tx, id string, docs []string, status map[string]string, ndocs int) ([]int, error) {
	failed := func(d int) bool { return strings.HasPrefix(status[strconv.Itoa(d)], "failed") }
	var sel []int
	if len(docs) > 0 {
		index, err := tx.HGetAll(ctx, keyDocIndex(id)).Result()
		if err != nil {
			return nil, fmt.Errorf("retry %s: %w", id, err)
		}
		seen := map[int]bool{}
		for _, name := range docs {
			d, ok := -1, false
			if v, found := index[name]; found {
				d, _ = strconv.Atoi(v)
				ok = true
			} else if n, err := strconv.Atoi(name); err == nil && n >= 1 && n <= ndocs {
				d, ok = n-1, true
			}
			switch {
			case !ok:
				return nil, fmt.Errorf("retry %s: no document %q in the batch: %w", id, name, ErrUnknownDocument)
			case !failed(d):
				return nil, fmt.Errorf("retry %s: document %q did not fail: %w", id, name, ErrUnknownDocument)
			case !seen[d]:
				seen[d] = true
				sel = append(sel, d)
			}
		}
	} else {
		for d := 0; d < ndocs; d++ {
			if failed(d) {
				sel = append(sel, d)
			}
		}
	}
	sort.Ints(sel)
	return sel, nil
}

// retryTasks returns the tasks that re-run the selected documents of batch
// id ("page d p" for each failed page, or "doc d" for a document that failed
// after its pages) and the failure records of the pages re-run.
func retryTasks(ctx context.Context, tx *redis.Tx, id string, sel []int) (tasks, pageKeys []string, err error) {
	pagesOf := map[int][]string{}
	fails, err := tx.HKeys(ctx, keyPageFails(id)).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("retry %s: %w", id, err)
	}
	for _, k := range fails {
		var d, p int
		if _, err := fmt.Sscanf(k, "%d/%d", &d, &p); err == nil {
			pagesOf[d] = append(pagesOf[d], k)
		}
	}
	for _, d := range sel {
		if len(pagesOf[d]) == 0 {
			tasks = append(tasks, fmt.Sprintf("doc %d", d))
			continue
		}
		for _, k := range pagesOf[d] {
			var dd, p int
			fmt.Sscanf(k, "%d/%d", &dd, &p)
			tasks = append(tasks, fmt.Sprintf("page %d %d", d, p))
			pageKeys = append(pageKeys, k)
		}
	}
	return tasks, pageKeys, nil
}

// recordRetry records, in a transaction on tx, that batch id is queued again
// in round+1 for tasks: the selected documents and failed pages are
// forgotten, and tasks kept until enqueueRetry has enqueued them.
func recordRetry(ctx context.Context, tx *redis.Tx, id string, round int, sel []int, tasks, pageKeys []string) error {
	pipe := tx.TxPipeline()
	pipe.HSet(ctx, keyBatch(id), "retries", round+1)
	for _, k := range pageKeys {
		var d, p int
		fmt.Sscanf(k, "%d/%d", &d, &p)
		pipe.SRem(ctx, keyDocPages(id, d), p)
	}
	if len(pageKeys) > 0 {
		pipe.HDel(ctx, keyPageFails(id), pageKeys...)
	}
	for _, d := range sel {
		pipe.HDel(ctx, keyDocs(id), strconv.Itoa(d))
		pipe.HDel(ctx, keyDocMeta(id), strconv.Itoa(d))
	}
	pipe.HDel(ctx, keyBatch(id), "error", "finished")
	pipe.HSet(ctx, keyBatch(id), "state", StateQueued)
	pipe.SAdd(ctx, keyRetry(id), tasks)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("retry %s: %w", id, err)
	}
	return nil
}

// ErrUnknownDocument is returned by Retry for a document that is not in the batch or did not fail.
var ErrUnknownDocument = errors.New("cannot retry document")

// enqueueRetry enqueues the tasks recorded by Retry, in the current round, then forgets them.
func (q *Queue) enqueueRetry(ctx context.Context, id string, tasks []string, res *RetryResult) error {
	round, err := q.round(ctx, id)
	if err != nil {
		return err
	}
	sort.Strings(tasks)
	if err := q.dropResults(ctx, id, tasks); err != nil {
		return err
	}
	docs := map[int]bool{}
	for _, t := range tasks {
		var d, p int
		switch {
		case strings.HasPrefix(t, "drop "):
			continue
		case t == "batch":
			res.Batch = true
			err = q.enqueue(ctx, TypeBatch, batchPayload{id}, batchTaskID(id, round))
		case t == "package":
			res.Package = true
			err = q.enqueue(ctx, TypePackage, batchPayload{id}, packageTaskID(id, round))
		case strings.HasPrefix(t, "page "):
			fmt.Sscanf(t, "page %d %d", &d, &p)
			docs[d] = true
			res.Pages++
			err = q.enqueue(ctx, TypePage, pagePayload{id, d, p}, pageTaskID(id, d, p, round))
		default:
			fmt.Sscanf(t, "doc %d", &d)
			docs[d] = true
			err = q.enqueue(ctx, TypeDocument, docPayload{id, d}, docTaskID(id, d, round))
		}
		if err != nil {
			return fmt.Errorf("retry %s: %w", id, err)
		}
	}
	for d := range docs {
		res.Documents = append(res.Documents, d)
	}
	sort.Ints(res.Documents)
	if err := q.rdb.Del(ctx, keyRetry(id)).Err(); err != nil {
		return fmt.Errorf("retry %s: %w", id, err)
	}
	return nil
}
