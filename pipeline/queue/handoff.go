package queue

import (
	"context"
	"errors"
	"time"

	"github.com/hibiken/asynq"
)

// handOffFallback is how long the task of a stage handed off (see handOff)
// waits before a worker takes it: the time a worker that died while running
// the stage in its place delays the batch. A hand-off that returns (done or
// failed) does not wait for it.
const handOffFallback = 2 * time.Minute

// taskQueue is the asynq queue every task is enqueued on (asynq's default).
const taskQueue = "default"

// handOff runs the next stage of a batch (the task typ with payload and
// TaskID id) in the task that finished the one before, instead of leaving it
// to a worker's next look at the queue (up to asynq.Config.TaskCheckInterval
// later, at the end of a batch where every worker is idle).
//
// The stage's task is enqueued first, due only after handOffFallback: it is
// the claim (a TaskID taken means another delivery enqueued the stage, which
// runs it; nothing is run here) and the fallback. When run returns, the
// fallback is deleted if the stage succeeded, or made due at once if it
// failed, so that the stage's own retries and failure recording apply; if
// this worker dies meanwhile, the fallback runs when due. A fallback that
// runs while run still works (or after it) does what a duplicate delivery
// does: stages are idempotent, asynq delivering at least once. The stage's
// failure is not the calling task's: it is logged and nil is returned.
func (q *Queue) handOff(ctx context.Context, typ string, payload any, id string, run func(context.Context, *asynq.Task) error) error {
	t, added, err := q.enqueueTask(ctx, typ, payload, id, asynq.ProcessIn(handOffFallback))
	if err != nil || !added {
		return err
	}
	if err := run(ctx, t); err != nil {
		q.opts.Logger.Warn("stage run in place failed; its task runs now", "task", id, "error", err)
		if rerr := q.inspector.RunTask(taskQueue, id); rerr != nil {
			q.opts.Logger.Warn("stage task not made due; it runs when due", "task", id, "in", handOffFallback, "error", rerr)
		}
		return nil
	}
	if err := q.inspector.DeleteTask(taskQueue, id); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) && !errors.Is(err, asynq.ErrQueueNotFound) {
		q.opts.Logger.Warn("stage task of a stage run in place not deleted; it finds the stage done", "task", id, "error", err)
	}
	return nil
}
