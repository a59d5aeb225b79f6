package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/pipeline/copies"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/pipeline/state"
)

// TypeReplicate is the task that brings a complete package into every copy of
// the archive (Options.Copies), after the package task archived it.
const TypeReplicate = "sohoa:replicate"

// copyRetries is how often the replicate task is retried: with the retry delay
// capped at a minute, about a week of a copy being down before the task is
// given up (the batch then stays in StateCopying, with the reason).
const copyRetries = 10000

// awaitCopies hands the complete package of batch id to the replicate step.
// The task is enqueued before the state changes, so that a failure here is
// retried by the package task (which only runs for a queued batch).
func (q *Queue) awaitCopies(ctx context.Context, id string) error {
	js, err := json.Marshal(batchPayload{Batch: id})
	if err != nil {
		return err
	}
	_, err = q.client.EnqueueContext(ctx, asynq.NewTask(TypeReplicate, js), asynq.TaskID("replicate:"+id),
		asynq.MaxRetry(copyRetries), asynq.Retention(taskRetention))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("batch %s: enqueue the copies: %w", id, err)
	}
	from, err := q.transition(ctx, id, StateCopying, worker, "", "copies", "waiting")
	if isTransition(err) && (from == StateCopying || from == StateComplete) {
		return nil // a duplicate delivery of the package task
	}
	return err
}

// handleReplicate copies the package of batch id, its audit trail's mirror so
// far and the seal chain into every copy, verified and locked (copies.Replicate), then records the batch
// complete. A copy that fails (down, refusing, holding a different object)
// leaves the batch in StateCopying with the reason in its "copies" field, and
// the task is retried.
func (q *Queue) handleReplicate(ctx context.Context, t *asynq.Task) error {
	var p batchPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("replicate task: %v: %w", err, asynq.SkipRetry)
	}
	st, err := q.rdb.HGet(ctx, keyBatch(p.Batch), "state").Result()
	switch {
	case err != nil:
		return fmt.Errorf("batch %s: %w", p.Batch, err)
	case state.BatchState(st) == StateQueued:
		return fmt.Errorf("batch %s: the package is not recorded yet", p.Batch)
	case state.BatchState(st) != StateCopying:
		return nil // a late duplicate
	}
	now := time.Now()
	replicate := func(c copies.Copy, prefix string) (copies.Figures, error) {
		fig, err := copies.Replicate(ctx, q.stores.Archive, c, prefix, now)
		if err != nil {
			if herr := q.rdb.HSet(context.WithoutCancel(ctx), keyBatch(p.Batch), "copies", err.Error()).Err(); herr != nil {
				err = errors.Join(err, herr)
			}
			return fig, fmt.Errorf("batch %s: %w", p.Batch, err)
		}
		return fig, nil
	}
	for _, c := range q.opts.Copies {
		for _, prefix := range copies.PackagePrefixes(p.Batch) {
			fig, err := replicate(c, prefix)
			if err != nil {
				return err
			}
			q.opts.Logger.Info("package copied", "batch", p.Batch, "copy", c.Name, "objects", fig.Objects, "copied", fig.Copied, "bytes", fig.Bytes)
			if q.opts.BackupLog != nil && fig.Copied > 0 { // a retry that copies nothing adds no entry
				if err := q.opts.BackupLog(ctx, p.Batch, c.Name, fig); err != nil {
					return fmt.Errorf("batch %s: backup log: %w", p.Batch, err)
				}
			}
		}
		// The records that go with the package: the batch's audit trail so
		// far (its mirror in the archive bucket) and the seal chain.
		for _, prefix := range []string{copies.AuditPrefix(p.Batch), seal.StoreChainPrefix} {
			if _, err := replicate(c, prefix); err != nil {
				return err
			}
		}
	}
	if err := q.rdb.HDel(ctx, keyBatch(p.Batch), "copies").Err(); err != nil {
		return fmt.Errorf("batch %s: %w", p.Batch, err)
	}
	state, err := q.recordPackaged(ctx, p.Batch, true)
	if err != nil {
		return err
	}
	q.cleanPackaged(ctx, p.Batch, true)
	q.opts.Logger.Info("batch in every copy", "batch", p.Batch, "state", state, "copies", len(q.opts.Copies))
	return nil
}
