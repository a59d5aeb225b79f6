package queue

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/state"
)

// failure is a page's permanent failure, as recorded in Redis.
type failure struct {
	File   string `json:"file"`
	Page   int    `json:"page"`
	Stage  string `json:"stage"`
	Reason string `json:"reason"`
}

// handleError records a task whose retries ran out (or that failed
// permanently) on its batch, so that nothing is lost silently: a page fails
// its document, which finishes (failed); a document task fails its document,
// and the package is still written; a batch or package task fails the batch
// (StateFailed), with the reason. Retry re-runs them.
func (q *Queue) handleError(ctx context.Context, t *asynq.Task, err error) {
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	if retried < maxRetry && !errors.Is(err, asynq.SkipRetry) {
		q.opts.Logger.Warn("task failed, will retry", "type", t.Type(), "retried", retried, "error", err)
		return
	}
	q.opts.Logger.Error("task failed for good", "type", t.Type(), "retried", retried, "error", err)
	ctx = context.WithoutCancel(ctx)
	var rerr error
	switch t.Type() {
	case TypePage:
		var p pagePayload
		if rerr = json.Unmarshal(t.Payload(), &p); rerr != nil {
			break
		}
		fl := failure{Stage: "task", Reason: err.Error()}
		var pe *pipeline.PageError
		if errors.As(err, &permanentError{}) {
			fl.Stage = StageStorage
		}
		if errors.As(err, &pe) {
			fl = failure{File: pe.File, Page: pe.Page, Stage: pe.Stage, Reason: pe.Err.Error()}
		}
		rerr = q.pageFinished(ctx, p, &fl, false, -1, func() {
			if q.opts.Observer != nil {
				q.opts.Observer.PageFailed(ctx, fl.Stage)
			}
		})
	case TypeDocument:
		var p docPayload
		if rerr = json.Unmarshal(t.Payload(), &p); rerr != nil {
			break
		}
		rerr = q.finishDoc(ctx, p, state.Failed("document: "+err.Error()))
		if rerr == nil {
			rerr = q.docsDone(ctx, p.Batch, false)
		}
	case TypeBatch, TypePackage:
		var p batchPayload
		if rerr = json.Unmarshal(t.Payload(), &p); rerr != nil {
			break
		}
		stage := "package"
		if t.Type() == TypeBatch {
			stage = "batch"
		}
		_, rerr = q.transition(ctx, p.Batch, StateFailed, worker, stage+": "+err.Error(), "error", stage+": "+err.Error(),
			"finished", time.Now().UTC().Format(time.RFC3339Nano))
	}
	if rerr != nil {
		q.opts.Logger.Error("recording a failed task", "type", t.Type(), "payload", string(t.Payload()), "error", rerr)
	}
}
