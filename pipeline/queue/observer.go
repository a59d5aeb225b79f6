package queue

import (
	"time"

	"github.com/sohoa-vn/sohoa/pipeline"
)

// StageUpload names the storing of a page's result in the work bucket, in Observer.Stage.
const StageUpload = "upload"

// Observer is told what the workers do, for metrics. Its methods are called
// from many task goroutines at once and must not block for long.
type Observer interface {
	// PageDone is called for each page processed, with its timings, confidence and flags.
	PageDone(res *pipeline.PageResult)
	// PageFailed is called for each page that failed for good, with the failed stage.
	PageFailed(stage string)
	// Stage is called with the duration of a stage run outside ProcessPage:
	// pipeline.StagePDF (a document) and StageUpload (a page result).
	Stage(stage string, d time.Duration)
}

func (q *Queue) observeStage(stage string, d time.Duration) {
	if q.opts.Observer != nil {
		q.opts.Observer.Stage(stage, d)
	}
}

// SetObserver sets the Observer told about pages and stages; call it before
// the queue runs tasks.
func (q *Queue) SetObserver(o Observer) { q.opts.Observer = o }
