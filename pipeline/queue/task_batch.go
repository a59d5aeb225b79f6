package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
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
		for _, pg := range dr.d.Pages {
			if err := q.enqueuePage(ctx, b.ID, i, pg.Index, round); err != nil {
				return err
			}
		}
	}
	return q.docsReady(ctx, b.ID, docs, round)
}

// docsReady enqueues the document task of each unfinished document of
// batch id (docs) whose pages have all finished, in round: those without
// pages, and those whose pages finished while Submit was still storing
// originals, which did not enqueue their document (afterPages). One round
// trip reads them all.
func (q *Queue) docsReady(ctx context.Context, id string, docs []docRef, round int) error {
	pipe := q.rdb.Pipeline()
	done := make([]*redis.IntCmd, len(docs))
	fields := make([]string, len(docs))
	for i := range docs {
		done[i] = pipe.SCard(ctx, keyDocPages(id, i))
		fields[i] = strconv.Itoa(i)
	}
	finished := pipe.HMGet(ctx, keyDocs(id), fields...)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("batch %s: %w", id, err)
	}
	for i, dr := range docs {
		if finished.Val()[i] == nil && int(done[i].Val()) >= len(dr.d.Pages) {
			if err := q.enqueue(ctx, TypeDocument, docPayload{id, i}, docTaskID(id, i, round)); err != nil {
				return err
			}
		}
	}
	return nil
}
