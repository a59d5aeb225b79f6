package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/pipeline"
)

// Task types.
const (
	TypeBatch    = "sohoa:batch"    // fan out a batch's pages
	TypePage     = "sohoa:page"     // normalize and OCR one page
	TypeDocument = "sohoa:document" // build one document's PDF/A, text and ALTO
	TypePackage  = "sohoa:package"  // write the batch's package to the archive
)

type batchPayload struct {
	Batch string `json:"batch"`
}

type pagePayload struct {
	Batch string `json:"batch"`
	Doc   int    `json:"doc"`  // 0-based document number in batch order
	Page  int    `json:"page"` // 1-based page in the document
}

type docPayload struct {
	Batch string `json:"batch"`
	Doc   int    `json:"doc"`
}

// enqueuePage enqueues the page task of page p of document doc of batch id in
// round: its payload and TaskID are made here only, so that every enqueue of
// one page (Submit's first pages, the batch task, a retry) names the same
// task and a second is a no-op.
func (q *Queue) enqueuePage(ctx context.Context, id string, doc, p, round int) error {
	return q.enqueue(ctx, TypePage, pagePayload{id, doc, p}, pageTaskID(id, doc, p, round))
}

// enqueue enqueues a task once: a TaskID already taken is not an error.
func (q *Queue) enqueue(ctx context.Context, typ string, payload any, id string) error {
	_, _, err := q.enqueueTask(ctx, typ, payload, id)
	return err
}

// enqueueTask enqueues the task typ with payload under TaskID id, with the
// queue's retries and retention and the further options opts, and returns
// it; added is false when the TaskID was taken already (not an error).
func (q *Queue) enqueueTask(ctx context.Context, typ string, payload any, id string, opts ...asynq.Option) (t *asynq.Task, added bool, err error) {
	js, err := json.Marshal(payload)
	if err != nil {
		return nil, false, fmt.Errorf("enqueue %s: %w", id, err)
	}
	t = asynq.NewTask(typ, js)
	_, err = q.client.EnqueueContext(ctx, t, append([]asynq.Option{asynq.TaskID(id), asynq.MaxRetry(q.opts.Retries),
		asynq.Retention(taskRetention)}, opts...)...)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return t, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("enqueue %s: %w", id, err)
	}
	return t, true, nil
}

// documents lists the batch's documents in batch order, the order of the Doc numbers in task payloads.
func documents(b *pipeline.Batch) []docRef {
	var out []docRef
	for _, f := range b.Files {
		for _, d := range f.Documents {
			out = append(out, docRef{f, d})
		}
	}
	return out
}

type docRef struct {
	f *pipeline.File
	d *pipeline.Document
}
