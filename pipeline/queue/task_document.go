package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/pipeline"
)

func (q *Queue) handleDocument(ctx context.Context, t *asynq.Task) error {
	var p docPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("document task: %v: %w", err, asynq.SkipRetry)
	}
	if ok, err := q.rdb.HExists(ctx, keyDocs(p.Batch), strconv.Itoa(p.Doc)).Result(); err != nil {
		return fmt.Errorf("document %+v: %w", p, err)
	} else if ok {
		return q.docsDone(ctx, p.Batch)
	}
	m, err := q.meta(ctx, p.Batch)
	if err != nil {
		return err
	}
	b, err := q.batch(ctx, p.Batch, m)
	if err != nil {
		return err
	}
	dr := documents(b)[p.Doc]
	results, errs, err := q.loadPages(ctx, p.Batch, p.Doc, dr.d)
	if err != nil {
		return err
	}
	status := "done"
	if len(dr.d.Pages) == 0 {
		status = "empty" // like Process, which neither builds nor counts it
	}
	for _, e := range errs {
		if e != nil {
			status = "failed: " + e.Error()
			break
		}
	}
	if status == "done" && !dr.d.Stack { // a stack's documents are built by the package task, once it is split
		t0 := time.Now()
		out, err := pipeline.MakeDocument(ctx, b, dr.f, dr.d, results, q.opts.Pipeline.DocumentOptions(m.submitted))
		q.observeStage(ctx, pipeline.StagePDF, time.Since(t0))
		if err != nil {
			status = fmt.Sprintf("failed: %s: %s", pipeline.StagePDF, err)
		} else {
			for _, f := range []struct {
				ext  string
				data []byte
			}{{"pdf", out.PDF}, {"txt", out.Text}, {"alto.xml", out.ALTO}} {
				if err := putOnce(ctx, q.stores.Work, docKey(p.Batch, p.Doc, f.ext), f.data, nil); err != nil {
					return fmt.Errorf("document %s: %w", dr.d.Source, err)
				}
			}
			if err := q.recordDocMeta(ctx, p.Batch, p.Doc, dr.d.ApplyFields(results)); err != nil {
				return err
			}
		}
	}
	if err := q.rdb.HSetNX(ctx, keyDocs(p.Batch), strconv.Itoa(p.Doc), status).Err(); err != nil {
		return fmt.Errorf("document %s: %w", dr.d.Source, err)
	}
	return q.docsDone(ctx, p.Batch)
}

// docsDone enqueues the package task when every document of the batch has finished.
func (q *Queue) docsDone(ctx context.Context, id string) error {
	n, err := q.rdb.HGet(ctx, keyBatch(id), "documents").Int()
	if err != nil {
		return fmt.Errorf("batch %s: %w", id, err)
	}
	done, err := q.rdb.HLen(ctx, keyDocs(id)).Result()
	if err != nil {
		return fmt.Errorf("batch %s: %w", id, err)
	}
	if int(done) < n {
		return nil
	}
	round, err := q.round(ctx, id)
	if err != nil {
		return err
	}
	return q.enqueue(ctx, TypePackage, batchPayload{id}, packageTaskID(id, round))
}
