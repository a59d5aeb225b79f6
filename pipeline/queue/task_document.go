package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/state"
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
	status := state.DocStatus{State: state.DocDone}
	if len(dr.d.Pages) == 0 {
		status.State = state.DocEmpty // like Process, which neither builds nor counts it
	}
	for _, e := range errs {
		if e != nil {
			status = state.Failed(e.Error())
			break
		}
	}
	if status.State == state.DocDone && !dr.d.Stack { // a stack's documents are built by the package task, once it is split
		t0 := time.Now()
		out, err := pipeline.MakeDocument(ctx, b, dr.f, dr.d, results, q.opts.Pipeline.DocumentOptions(m.submitted))
		q.observeStage(ctx, pipeline.StagePDF, time.Since(t0))
		if err != nil {
			status = state.Failed(fmt.Sprintf("%s: %s", pipeline.StagePDF, err))
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
	if err := q.finishDoc(ctx, p, status); err != nil {
		return fmt.Errorf("document %s: %w", dr.d.Source, err)
	}
	return q.docsDone(ctx, p.Batch)
}

// finishDoc records the status of a document that finished (pending to
// status, as the transition table allows). Only the first status recorded
// counts: a later delivery of the task, or its failure, changes nothing.
func (q *Queue) finishDoc(ctx context.Context, p docPayload, status state.DocStatus) error {
	if err := state.CheckDoc(state.DocPending, status.State); err != nil {
		return fmt.Errorf("document %d: %w", p.Doc, err)
	}
	return q.rdb.HSetNX(ctx, keyDocs(p.Batch), strconv.Itoa(p.Doc), status).Err()
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
