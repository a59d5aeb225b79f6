package queue

import (
	"context"
	"errors"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/storage"
)

// StageStorage names the failure of a task on a permanent storage error in
// the failures recorded on a batch.
const StageStorage = "storage"

// permanentStorageErrors are the storage errors that a retry cannot mend: the
// content does not match its recorded SHA-256, the key is not valid, or a
// different object holds the key.
var permanentStorageErrors = []error{storage.ErrChecksum, storage.ErrInvalidKey, storage.ErrExists}

// permanentError is a task error caused by a permanent storage error. It
// reads as the error it wraps and tells asynq not to retry the task
// (asynq.SkipRetry), so that its document (or batch) fails at once.
type permanentError struct{ err error }

func (e permanentError) Error() string   { return e.err.Error() }
func (e permanentError) Unwrap() []error { return []error{e.err, asynq.SkipRetry} }

// classify marks err permanent when it comes from a permanent storage error
// (see storage.Store: anything not transient, as classified by
// storage.IsTransient). A transient error, a cancelled task and an error
// already marked are returned unchanged.
func classify(ctx context.Context, err error) error {
	if err == nil || ctx.Err() != nil || storage.IsTransient(err) || errors.Is(err, asynq.SkipRetry) {
		return err
	}
	for _, p := range permanentStorageErrors {
		if errors.Is(err, p) {
			return permanentError{err}
		}
	}
	return err
}

// classified wraps a task handler so that its permanent storage errors fail the task at once.
func classified(h asynq.HandlerFunc) asynq.HandlerFunc {
	return func(ctx context.Context, t *asynq.Task) error { return classify(ctx, h(ctx, t)) }
}
