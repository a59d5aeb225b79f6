package queue

import (
	"context"

	"github.com/sohoa-vn/sohoa/pipeline/state"
)

// holdForReview moves batch id, queued with every document processed, to
// state review when the review is required, and reports whether it did (or a
// duplicate delivery did): its package is then assembled only after Approve,
// so nothing of it is sealed or locked before. A batch with a failed
// document is packaged incomplete as without a review (unsealed, unlocked),
// to be retried or have its pages replaced.
func (q *Queue) holdForReview(ctx context.Context, id string, st state.BatchState, docs map[int]state.DocStatus) (bool, error) {
	if !q.opts.Review.Required || st != state.BatchQueued {
		return false, nil
	}
	for _, d := range docs {
		if d.State == state.DocFailed {
			return false, nil
		}
	}
	from, err := q.transition(ctx, id, state.BatchReview, worker, "every document processed: waiting for a reviewer")
	if isTransition(err) && from == state.BatchReview {
		return true, nil // a duplicate delivery moved it
	}
	if err != nil {
		return false, err
	}
	q.opts.Logger.Info("batch waiting for review", "batch", id)
	return true, nil
}
