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
// the entries up to the last one that queued or approved the batch (its
// submission, a retry, a replacement, its approval after review), so that
// every run of one package task writes the same package; what happens later
// is in the trail, not in this package.
func (q *Queue) auditTrail(ctx context.Context, id string) ([]byte, error) {
	es, err := q.AuditTrail(ctx, id)
	if err != nil {
		return nil, err
	}
	end := 0
	for i, e := range es {
		if e.After == StateQueued.String() || (e.Action == audit.State && e.After == state.BatchApproved.String()) {
			end = i + 1
		}
	}
	return audit.JSONLines(es[:end]), nil
}
