package queue

import (
	"context"
	"fmt"
	"time"

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

// auditState records that a worker moved batch id from state before to after,
// once per retry round: asynq may deliver a task twice, even at once, and both
// deliveries record the same state. A failure to record is logged: the state
// has changed.
func (q *Queue) auditState(ctx context.Context, id string, before, after state.BatchState, detail string) {
	round, err := q.round(ctx, id)
	if err == nil {
		var first bool
		key := fmt.Sprintf("sohoa:auditonce:%s:%d:%s", id, round, after)
		if first, err = q.rdb.SetNX(ctx, key, 1, 30*24*time.Hour).Result(); err == nil && !first {
			return // recorded by another delivery
		}
	}
	if err != nil {
		q.opts.Logger.Error("audit", "batch", id, "error", err)
		return
	}
	if _, err := q.auditLog().Append(ctx, audit.Entry{Who: auditWho, Action: audit.State, Batch: id,
		Before: before.String(), After: after.String(), Detail: detail}); err != nil {
		q.opts.Logger.Error("audit", "batch", id, "error", err)
	}
}

// auditTrail returns batch id's audit trail as JSON lines, for its package:
// the entries up to the last one that queued the batch (its submission, a
// retry or a replacement), so that every run of one package task writes the
// same package; what happens later is in the trail, not in this package.
func (q *Queue) auditTrail(ctx context.Context, id string) ([]byte, error) {
	es, err := q.AuditTrail(ctx, id)
	if err != nil {
		return nil, err
	}
	end := 0
	for i, e := range es {
		if e.After == StateQueued.String() {
			end = i + 1
		}
	}
	return audit.JSONLines(es[:end]), nil
}
