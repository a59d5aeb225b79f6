package queue

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hibiken/asynq"
)

func (q *Queue) handleBatch(ctx context.Context, t *asynq.Task) error {
	var p batchPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("batch task: %v: %w", err, asynq.SkipRetry)
	}
	m, err := q.meta(ctx, p.Batch)
	if err != nil {
		return err
	}
	b, err := q.batch(ctx, p.Batch, m)
	if err != nil {
		return err
	}
	round, err := q.round(ctx, b.ID)
	if err != nil {
		return err
	}
	docs := documents(b)
	if len(docs) == 0 {
		return q.enqueue(ctx, TypePackage, batchPayload{b.ID}, packageTaskID(b.ID, round))
	}
	for i, dr := range docs {
		if len(dr.d.Pages) == 0 {
			if err := q.docPagesDone(ctx, b.ID, i, 0); err != nil {
				return err
			}
		}
		for _, pg := range dr.d.Pages {
			if err := q.enqueuePage(ctx, b.ID, i, pg.Index, round); err != nil {
				return err
			}
		}
	}
	return nil
}
