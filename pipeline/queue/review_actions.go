package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/state"
)

// reviewable returns why batch id in state st takes no reviewer's action, or nil.
func reviewable(id string, st state.BatchState) error {
	switch {
	case st.Reviewable():
		return nil
	case st.Sealed():
		return fmt.Errorf("batch %s: %w", id, ErrSealed)
	}
	return fmt.Errorf("batch %s (%s): %w", id, st, ErrNotReviewable)
}

// Accept records that who accepted document docID (its number in batch
// order) of batch id, in review: its pages and metadata are right. A
// document that failed processing cannot be accepted (replace its pages).
func (q *Queue) Accept(ctx context.Context, id, docID string, who audit.Actor) error {
	return q.setReview(ctx, id, docID, state.ReviewAccepted, "", who)
}

// RejectDocument sends document docID of batch id back to the station with
// reason: the document is rejected and the batch goes to state rejected
// until its pages are replaced (Replace), which puts it back in review.
func (q *Queue) RejectDocument(ctx context.Context, id, docID, reason string, who audit.Actor) error {
	if reason == "" {
		return fmt.Errorf("batch %s: document %s: %w: a rejection needs a reason", id, docID, ErrInvalidField)
	}
	return q.setReview(ctx, id, docID, state.ReviewRejected, reason, who)
}

// setReview moves document docID of batch id to review state to, checked
// against the batch's state and the review table in one Redis transaction,
// and records it in the audit trail.
func (q *Queue) setReview(ctx context.Context, id, docID string, to state.ReviewState, reason string, who audit.Actor) error {
	var from state.ReviewState
	var moved *transitionCmd
	err := q.rdb.Watch(ctx, func(tx *redis.Tx) error {
		h, err := tx.HMGet(ctx, keyBatch(id), "state", "documents").Result()
		if err != nil {
			return fmt.Errorf("batch %s: %w", id, err)
		}
		st, _ := h[0].(string)
		if st == "" {
			return fmt.Errorf("batch %s: %w", id, ErrUnknownBatch)
		}
		bs, err := state.ParseBatch(st)
		if err != nil {
			return err
		}
		if err := reviewable(id, bs); err != nil {
			return err
		}
		n, _ := strconv.Atoi(fmt.Sprint(h[1]))
		d, err := docNumber(id, docID, n)
		if err != nil {
			return err
		}
		if to == state.ReviewAccepted {
			if err := acceptable(ctx, tx, id, d); err != nil {
				return err
			}
		}
		cur, err := tx.HGet(ctx, keyReview(id), strconv.Itoa(d)).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("batch %s: %w", id, err)
		}
		if from, err = state.ParseReview(cur); err != nil {
			return err
		}
		if err := state.CheckReview(from, to); err != nil {
			return fmt.Errorf("batch %s: document %d: %w: %w", id, d, ErrNotReviewable, err)
		}
		_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.HSet(ctx, keyReview(id), strconv.Itoa(d), to)
			if to == state.ReviewRejected {
				pipe.HSet(ctx, keyRejections(id), strconv.Itoa(d), reason)
				if bs == state.BatchReview {
					moved = q.sendTransition(ctx, pipe, id, state.BatchRejected, who, "document "+docID+" rejected: "+reason)
				}
			}
			return nil
		})
		return err
	}, keyBatch(id), keyReview(id))
	if errors.Is(err, redis.TxFailedErr) {
		return fmt.Errorf("batch %s: changed at the same time by someone else: %w", id, ErrRunning)
	}
	if err != nil {
		return err
	}
	action := audit.Accept
	if to == state.ReviewRejected {
		action = audit.Reject
	}
	q.record(ctx, who.Entry(audit.Entry{Action: action, Batch: id, What: "document " + docID,
		Before: from.String(), After: to.String(), Detail: reason}))
	if moved != nil {
		_, err = moved.result()
	}
	return err
}

// acceptable returns an error unless document d of batch id was processed (done).
func acceptable(ctx context.Context, tx *redis.Tx, id string, d int) error {
	v, err := tx.HGet(ctx, keyDocs(id), strconv.Itoa(d)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("batch %s: %w", id, err)
	}
	st, err := state.ParseDocStatus(v)
	if err != nil || st.State != state.DocDone {
		return fmt.Errorf("batch %s: document %d is not processed (%q): replace its pages or reject it: %w", id, d, v, ErrNotReviewable)
	}
	return nil
}

// record appends e to the audit trail; a failure is logged: the action has happened.
func (q *Queue) record(ctx context.Context, e audit.Entry) {
	if _, err := q.auditLog().Append(context.WithoutCancel(ctx), e); err != nil {
		q.opts.Logger.Error("audit", "action", e.Action, "batch", e.Batch, "error", err)
	}
}

// Correct sets metadata field (its JSON name: subject, issuedDate, ...) of
// document docID of batch id, in review, to value, checked as at submission
// (pipeline.CorrectField). The correction is applied when the package is
// assembled after Approve (the document's PDF is made again with it), listed
// in the inspection record, and recorded in the audit trail with the values
// before and after.
func (q *Queue) Correct(ctx context.Context, id, docID, field, value string, who audit.Actor) error {
	m, err := q.meta(ctx, id)
	if err != nil {
		return err
	}
	if err := reviewable(id, m.state); err != nil {
		return err
	}
	b, err := q.batch(ctx, id, m)
	if err != nil {
		return err
	}
	docs := documents(b)
	d, err := docNumber(id, docID, len(docs))
	if err != nil {
		return err
	}
	cs, err := q.corrections(ctx, id)
	if err != nil {
		return err
	}
	meta := docs[d].d.Meta // a copy, with the earlier corrections applied
	for _, c := range cs {
		if c.Doc == d {
			if _, err := pipeline.CorrectField(docs[d].f.Meta.FileCode, &meta, c.Field, c.After); err != nil {
				return fmt.Errorf("batch %s: document %d: earlier correction: %w", id, d, err)
			}
		}
	}
	before, err := pipeline.CorrectField(docs[d].f.Meta.FileCode, &meta, field, value)
	if err != nil {
		return fmt.Errorf("batch %s: document %d: %w: %w", id, d, ErrInvalidField, err)
	}
	c := Correction{Doc: d, Code: meta.DocCode, Field: field, Before: before, After: value, Who: who.Name, Time: time.Now().UTC()}
	js, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := q.appendCorrection(ctx, id, js); err != nil {
		return err
	}
	q.record(ctx, who.Entry(audit.Entry{Action: audit.Correct, Batch: id, What: fmt.Sprintf("document %d: %s", d, field),
		Before: before, After: value}))
	return nil
}

// appendCorrection adds correction js to batch id's list if the batch is
// still in review, in one transaction.
func (q *Queue) appendCorrection(ctx context.Context, id string, js []byte) error {
	err := q.rdb.Watch(ctx, func(tx *redis.Tx) error {
		st, err := tx.HGet(ctx, keyBatch(id), "state").Result()
		if err != nil {
			return fmt.Errorf("batch %s: %w", id, err)
		}
		if err := reviewable(id, state.BatchState(st)); err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.RPush(ctx, keyCorrections(id), js)
			return nil
		})
		return err
	}, keyBatch(id))
	if errors.Is(err, redis.TxFailedErr) {
		return fmt.Errorf("batch %s: changed at the same time by someone else: %w", id, ErrRunning)
	}
	return err
}

// Approve approves batch id, in review, for who: refused (ErrSampleNotAccepted)
// unless every sampled document is accepted. The batch goes to state approved
// and its package task is enqueued: the package is assembled with the
// corrections, the inspection record made and signed, then sealed and locked.
func (q *Queue) Approve(ctx context.Context, id string, who audit.Actor) error {
	var p ReviewPlan
	now := time.Now().UTC()
	err := q.rdb.Watch(ctx, func(tx *redis.Tx) error {
		var err error
		// Read after WATCH: a review changed before EXEC fails the transaction.
		if p, err = q.ReviewPlan(ctx, id); err != nil {
			return err
		}
		if err := approvable(id, &p); err != nil {
			return err
		}
		var moved *transitionCmd
		if _, err := tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			moved = q.sendTransition(ctx, pipe, id, state.BatchApproved, who, "", "approvedBy", who.Name, "approved", now.Format(time.RFC3339Nano))
			return nil
		}); err != nil {
			return err
		}
		_, err = moved.result()
		return err
	}, keyReview(id), keyBatch(id), keyCorrections(id))
	if errors.Is(err, redis.TxFailedErr) {
		return fmt.Errorf("batch %s: changed while it was approved: %w", id, ErrRunning)
	}
	if err != nil {
		return err
	}
	q.record(ctx, who.Entry(audit.Entry{Action: audit.Approve, Batch: id, Before: state.BatchReview.String(), After: state.BatchApproved.String(),
		Detail: fmt.Sprintf("%d documents, %d sampled and accepted, %d corrected", p.Counts.Documents, p.Counts.Sampled, p.Counts.Corrected)}))
	round, err := q.round(ctx, id)
	if err != nil {
		return err
	}
	return q.enqueue(ctx, TypePackage, batchPayload{id}, packageTaskID(id, round)+"/approved")
}

// approvable returns why the batch of plan p cannot be approved, or nil.
func approvable(id string, p *ReviewPlan) error {
	if p.State != state.BatchReview {
		if err := reviewable(id, p.State); err != nil {
			return err
		}
		return fmt.Errorf("batch %s (%s): a rejected document waits for its pages to be replaced: %w", id, p.State, ErrNotReviewable)
	}
	if !p.allAccepted() {
		return fmt.Errorf("batch %s: %d of %d sampled documents accepted: %w", id, p.acceptedSampled(), p.Counts.Sampled, ErrSampleNotAccepted)
	}
	return nil
}

// acceptedSampled counts the sampled documents accepted.
func (p *ReviewPlan) acceptedSampled() int {
	n := 0
	for _, d := range p.Documents {
		if d.Sampled && d.Review == state.ReviewAccepted {
			n++
		}
	}
	return n
}
