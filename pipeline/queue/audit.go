package queue

import (
	"context"

	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/state"
)

// auditWho names the workers in the audit trail.
const auditWho = "worker"

// auditLog is the audit trail, mirrored into the archive store.
func (q *Queue) auditLog() *audit.Log { return audit.New(q.rdb, q.stores.Archive, nil) }

// AuditTrail returns the entries of batch id's audit trail, oldest first.
func (q *Queue) AuditTrail(ctx context.Context, id string) ([]audit.Entry, error) {
	return q.auditLog().Batch(ctx, id)
}

// auditState records that by moved batch id from state before to after, for
// detail. Only the transition that happened calls it (transitionCmd.result),
// so each change is recorded once. A failure to record is logged: the state
// has changed.
func (q *Queue) auditState(ctx context.Context, id string, before, after state.BatchState, by audit.Actor, detail string) {
	if _, err := q.auditLog().Append(ctx, by.Entry(audit.Entry{Action: audit.State, Batch: id,
		Before: before.String(), After: after.String(), Detail: detail})); err != nil {
		q.opts.Logger.Error("audit", "batch", id, "error", err)
	}
}

// auditTrail returns batch id's audit trail as JSON lines, for its package:
// the entries up to the last one that gave the batch new content to package
// (packageCut), so that every run of one package task, and of its Retry,
// writes the same package; what happens later is in the trail, not in this
// package.
func (q *Queue) auditTrail(ctx context.Context, id string) ([]byte, error) {
	es, err := q.AuditTrail(ctx, id)
	if err != nil {
		return nil, err
	}
	end := 0
	for i, e := range es {
		if packageCut(e) {
			end = i + 1
		}
	}
	return audit.JSONLines(es[:end]), nil
}

// packageCut reports whether e gave its batch new content to package: its
// submission, a replacement of pages, a retry that re-ran documents, its
// approval after review. A retry of only the failed batch or package task
// re-runs the same content (a package task that failed after locking part
// of a complete package writes the same one again), so it does not.
func packageCut(e audit.Entry) bool {
	switch {
	case e.Action == audit.Retry, e.Action == audit.State && e.Detail == retryTaskDetail:
		return false
	case e.Action == audit.State && e.After == state.BatchApproved.String():
		return true
	}
	return e.After == StateQueued.String()
}
