package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/state"
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
// The batch's state change is recorded in the audit trail as who's.
func (q *Queue) Retry(ctx context.Context, id string, docs []string, who audit.Actor) (*RetryResult, error) {
	var steps plan
	err := q.rdb.Watch(ctx, func(tx *redis.Tx) error {
		var err error
		steps, err = q.planRetry(ctx, tx, id, docs, who)
		return err
	}, keyBatch(id), keyRetry(id))
	if errors.Is(err, redis.TxFailedErr) {
		return nil, fmt.Errorf("retry %s: retried at the same time by someone else: %w", id, ErrRunning)
	}
	if err != nil {
		return nil, err
	}
	res := &RetryResult{}
	if len(steps) == 0 {
		return res, nil
	}
	return res, q.enqueueRetry(ctx, id, steps, res)
}

// retryBatch is what planRetry reads of a batch, in the transaction.
type retryBatch struct {
	id      string
	state   state.BatchState
	ndocs   int                     // how many documents it has
	round   int                     // its current retry round
	docs    map[int]state.DocStatus // the documents that finished, by number
	pending plan                    // the steps of an interrupted Retry
}

// planRetry records in a transaction on tx what Retry re-runs, and returns
// the steps to enqueue (those of an interrupted Retry, if any).
func (q *Queue) planRetry(ctx context.Context, tx *redis.Tx, id string, docs []string, who audit.Actor) (plan, error) {
	b, err := readRetryBatch(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if len(b.pending) > 0 {
		return b.pending, nil // finish an interrupted Retry
	}
	if b.state == StateQueued || b.state == state.BatchUploading {
		return nil, fmt.Errorf("retry %s: %w", id, ErrRunning)
	}
	sel, err := retrySelection(ctx, tx, b, docs)
	if err != nil {
		return nil, err
	}
	steps, pages, err := retrySteps(ctx, tx, id, sel)
	if err != nil {
		return nil, err
	}
	if len(sel) == 0 && b.state == StateFailed {
		steps = append(steps, b.failedTask())
	}
	if len(steps) == 0 {
		return nil, confirmNothing(ctx, tx, id)
	}
	if err := q.recordRetry(ctx, tx, b, sel, steps, pages, who); err != nil {
		return nil, err
	}
	return steps, nil
}

// readRetryBatch reads, in the transaction on tx, what planRetry needs of batch id.
func readRetryBatch(ctx context.Context, tx *redis.Tx, id string) (*retryBatch, error) {
	h, err := tx.HGetAll(ctx, keyBatch(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("retry %s: %w", id, err)
	}
	if h["submitted"] == "" || h["state"] == "" {
		return nil, fmt.Errorf("retry %s: %w", id, ErrUnknownBatch)
	}
	b := &retryBatch{id: id}
	if b.state, err = state.ParseBatch(h["state"]); err != nil {
		return nil, fmt.Errorf("retry %s: %w", id, err)
	}
	if b.ndocs, err = intField(h, "documents"); err != nil {
		return nil, fmt.Errorf("retry %s: %w", id, err)
	}
	if b.round, err = intField(h, "retries"); err != nil {
		return nil, fmt.Errorf("retry %s: %w", id, err)
	}
	pending, err := tx.SMembers(ctx, keyRetry(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("retry %s: %w", id, err)
	}
	if b.pending, err = parsePlan(pending); err != nil {
		return nil, fmt.Errorf("retry %s: %w", id, err)
	}
	status, err := tx.HGetAll(ctx, keyDocs(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("retry %s: %w", id, err)
	}
	if b.docs, err = docStatuses(status); err != nil {
		return nil, fmt.Errorf("retry %s: %w", id, err)
	}
	return b, nil
}

// failed reports whether document d of the batch failed.
func (b *retryBatch) failed(d int) bool { return b.docs[d].State == state.DocFailed }

// failedTask returns the step that re-runs the task that failed the batch:
// the package task when every document had finished, else the batch task.
func (b *retryBatch) failedTask() step {
	if len(b.docs) == b.ndocs {
		return step{kind: stepPackage}
	}
	return step{kind: stepBatch}
}

// confirmNothing ends a Retry that found nothing failed, as far as what was
// read says. The reads are not a snapshot: it makes sure that no other Retry
// changed the batch meanwhile (the transaction fails if a watched key changed).
func confirmNothing(ctx context.Context, tx *redis.Tx, id string) error {
	if _, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Ping(ctx); return nil }); err != nil {
		return fmt.Errorf("retry %s: %w", id, err)
	}
	return nil
}

// retrySelection returns the failed documents of batch b that Retry re-runs,
// sorted: those named in docs, which must have failed, or every failed one
// when docs is empty.
func retrySelection(ctx context.Context, tx *redis.Tx, b *retryBatch, docs []string) ([]int, error) {
	var sel []int
	if len(docs) == 0 {
		for d := 0; d < b.ndocs; d++ {
			if b.failed(d) {
				sel = append(sel, d)
			}
		}
		return sel, nil
	}
	index, err := tx.HGetAll(ctx, keyDocIndex(b.id)).Result()
	if err != nil {
		return nil, fmt.Errorf("retry %s: %w", b.id, err)
	}
	seen := map[int]bool{}
	for _, name := range docs {
		d, err := b.docNamed(index, name)
		if err != nil {
			return nil, err
		}
		if !b.failed(d) {
			return nil, fmt.Errorf("retry %s: document %q did not fail: %w", b.id, name, ErrUnknownDocument)
		}
		if !seen[d] {
			seen[d] = true
			sel = append(sel, d)
		}
	}
	sort.Ints(sel)
	return sel, nil
}

// docNamed returns the number of the document of b named name (mã lưu trữ
// tài liệu, folder or file, by the batch's index; or 1-based number).
func (b *retryBatch) docNamed(index map[string]string, name string) (int, error) {
	if v, found := index[name]; found {
		d, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("retry %s: document index of %q: %w", b.id, name, err)
		}
		return d, nil
	}
	if n, err := strconv.Atoi(name); err == nil && n >= 1 && n <= b.ndocs {
		return n - 1, nil
	}
	return 0, fmt.Errorf("retry %s: no document %q in the batch: %w", b.id, name, ErrUnknownDocument)
}

// retrySteps returns the steps that re-run the selected documents of batch
// id (a page step for each failed page, or a document step for a document
// that failed after its pages) and the failed pages re-run.
func retrySteps(ctx context.Context, tx *redis.Tx, id string, sel []int) (plan, []pageRef, error) {
	fails, err := tx.HKeys(ctx, keyPageFails(id)).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("retry %s: %w", id, err)
	}
	pagesOf := map[int][]pageRef{}
	for _, k := range fails {
		r, err := parsePageRef(k)
		if err != nil {
			return nil, nil, fmt.Errorf("retry %s: failed pages: %w", id, err)
		}
		pagesOf[r.doc] = append(pagesOf[r.doc], r)
	}
	var steps plan
	var pages []pageRef
	for _, d := range sel {
		if len(pagesOf[d]) == 0 {
			steps = append(steps, docStep(d))
			continue
		}
		for _, r := range pagesOf[d] {
			steps = append(steps, pageStep(d, r.page))
			pages = append(pages, r)
		}
	}
	return steps, pages, nil
}

// recordRetry records, in a transaction on tx, that batch b is queued again
// in its next round for steps: the selected documents and failed pages are
// forgotten, and the steps kept until enqueueRetry has enqueued them.
func (q *Queue) recordRetry(ctx context.Context, tx *redis.Tx, b *retryBatch, sel []int, steps plan, pages []pageRef, who audit.Actor) error {
	id := b.id
	if err := state.CheckBatch(b.state, StateQueued); err != nil {
		return fmt.Errorf("retry %s: %w", id, err)
	}
	var moved *transitionCmd
	_, err := tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.HSet(ctx, keyBatch(id), "retries", b.round+1)
		forgetPages(ctx, pipe, id, pages)
		for _, d := range sel {
			pipe.HDel(ctx, keyDocs(id), strconv.Itoa(d))
			pipe.HDel(ctx, keyDocMeta(id), strconv.Itoa(d))
		}
		pipe.HDel(ctx, keyBatch(id), "error", "finished")
		detail := retryDetail
		if len(sel) == 0 {
			detail = retryTaskDetail
		}
		moved = q.sendTransition(ctx, pipe, id, StateQueued, who, detail)
		pipe.SAdd(ctx, keyRetry(id), steps.strings())
		return nil
	})
	if err != nil {
		return fmt.Errorf("retry %s: %w", id, err)
	}
	_, err = moved.result()
	return err
}

// forgetPages queues on pipe what forgets the pages of batch id that are
// re-run: their place among their document's finished pages, and their
// failure records.
func forgetPages(ctx context.Context, pipe redis.Pipeliner, id string, pages []pageRef) {
	if len(pages) == 0 {
		return
	}
	fields := make([]string, len(pages))
	for i, r := range pages {
		pipe.SRem(ctx, keyDocPages(id, r.doc), r.page)
		fields[i] = r.String()
	}
	pipe.HDel(ctx, keyPageFails(id), fields...)
}

// ErrUnknownDocument is returned by Retry for a document that is not in the batch or did not fail.
var ErrUnknownDocument = errors.New("cannot retry document")

// enqueueRetry enqueues the steps recorded by Retry or Replace, in the
// current round, then forgets them.
func (q *Queue) enqueueRetry(ctx context.Context, id string, steps plan, res *RetryResult) error {
	round, err := q.round(ctx, id)
	if err != nil {
		return err
	}
	steps = slices.Clone(steps)
	sort.Slice(steps, func(i, j int) bool { return steps[i].String() < steps[j].String() })
	if err := q.dropResults(ctx, id, steps); err != nil {
		return err
	}
	docs := map[int]bool{}
	for _, s := range steps {
		if err := q.enqueueStep(ctx, id, round, s, res); err != nil {
			return fmt.Errorf("retry %s: %w", id, err)
		}
		if s.kind == stepPage || s.kind == stepDoc {
			docs[s.doc] = true
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

// enqueueStep enqueues the task of step s of a retry of batch id in round,
// and counts it in res. Drop steps are done by dropResults, before.
func (q *Queue) enqueueStep(ctx context.Context, id string, round int, s step, res *RetryResult) error {
	switch s.kind {
	case stepBatch:
		res.Batch = true
		return q.enqueue(ctx, TypeBatch, batchPayload{id}, batchTaskID(id, round))
	case stepPackage:
		res.Package = true
		return q.enqueue(ctx, TypePackage, batchPayload{id}, packageTaskID(id, round))
	case stepPage:
		res.Pages++
		return q.enqueuePage(ctx, id, s.doc, s.page, round)
	case stepDoc:
		return q.enqueue(ctx, TypeDocument, docPayload{id, s.doc}, docTaskID(id, s.doc, round))
	}
	return nil
}
