package queue

import (
	"context"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline"
)

// StageUpload names the storing of a page's result in the work bucket, in Observer.Stage.
const StageUpload = "upload"

// Observer is told what the workers do, for metrics; it is set in
// Options.Observer. Its methods are called from many task goroutines at once,
// with the context of the task they report on, and must not block for long.
type Observer interface {
	// PageDone is called for each page processed, with its timings, confidence and flags.
	PageDone(ctx context.Context, res *pipeline.PageResult)
	// PageFailed is called for each page that failed for good, with the failed stage.
	PageFailed(ctx context.Context, stage string)
	// Stage is called with the duration of a stage run outside ProcessPage:
	// pipeline.StagePDF (a document) and StageUpload (a page result).
	Stage(ctx context.Context, stage string, d time.Duration)
}

func (q *Queue) observeStage(ctx context.Context, stage string, d time.Duration) {
	if q.opts.Observer != nil {
		q.opts.Observer.Stage(ctx, stage, d)
	}
}
