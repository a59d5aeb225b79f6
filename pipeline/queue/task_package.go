package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/pipeline/state"
	"github.com/sohoa-vn/sohoa/storage"
)

// handlePackage runs the package task, the batch's last: it fetches the
// originals, assembles the bag from the page and document results, seals a
// complete one, archives it, records the batch's final state and cleans up.
func (q *Queue) handlePackage(ctx context.Context, t *asynq.Task) error {
	var p batchPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("package task: %v: %w", err, asynq.SkipRetry)
	}
	m, b, docStatus, originals, err := q.packageInputs(ctx, p.Batch)
	if err != nil || b == nil {
		return err // b nil: the batch is no longer queued, nothing to do
	}
	early := q.archiveEarly(ctx, p.Batch, b.Dir, originals)
	defer early.stop()
	out := filepath.Join(q.opts.CacheDir, ".packages", fmt.Sprintf("%s-%d", p.Batch, time.Now().UnixNano()))
	defer func() {
		seal.MakeWritable(out) // a sealed package is read-only
		os.RemoveAll(out)
	}()
	rep, err := q.assemble(ctx, p.Batch, m, b, docStatus, out, early)
	if err != nil {
		return err
	}
	ret := q.packageRetention(rep.Complete)
	bagDir := rep.Bag
	if q.opts.Signer != nil && rep.Complete {
		if err := q.sealPackage(ctx, p.Batch, bagDir, ret); err != nil {
			return err
		}
	}
	if err := q.archiveAIPs(ctx, p.Batch, bagDir, out, ret); err != nil {
		return fmt.Errorf("batch %s: AIP_hoso: %w", p.Batch, err)
	}
	if err := q.archive(ctx, p.Batch, bagDir, ret, early); err != nil {
		return fmt.Errorf("batch %s: archive: %w", p.Batch, err)
	}
	if rep.Complete && len(q.opts.Copies) > 0 {
		return q.awaitCopies(ctx, p.Batch) // the replicate step records the batch complete
	}
	state, err := q.recordPackaged(ctx, p.Batch, rep.Complete)
	if err != nil {
		return err
	}
	q.cleanPackaged(ctx, p.Batch, rep.Complete)
	q.opts.Logger.Info("batch packaged", "batch", p.Batch, "state", state, "documents", rep.DocumentsDone, "of", rep.Documents)
	return nil
}

// packageRetention returns the retention of a package, complete or not:
// only a complete package is locked; an incomplete one is replaced by the
// package of a successful Retry.
func (q *Queue) packageRetention(complete bool) *storage.Retention {
	if q.opts.Retention == nil || !complete {
		return nil
	}
	return q.opts.Retention(time.Now())
}

// packageInputs returns what the package task of batch id works from: the
// batch's meta, its local copy with every original fetched (and their
// identities, by file), and the status of each document. The batch is nil (and the error too) when there is nothing
// to package: a late duplicate of the task (the batch is neither queued nor
// approved), or a batch that waits for its review (see holdForReview).
func (q *Queue) packageInputs(ctx context.Context, id string) (*meta, *pipeline.Batch, map[int]state.DocStatus, map[string]pipeline.Original, error) {
	m, err := q.meta(ctx, id)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if m.state != StateQueued && m.state != state.BatchApproved {
		return nil, nil, nil, nil, nil
	}
	h, err := q.rdb.HGetAll(ctx, keyDocs(id)).Result()
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("batch %s: %w", id, err)
	}
	docStatus, err := docStatuses(h)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("batch %s: %w", id, err)
	}
	if held, err := q.holdForReview(ctx, id, m.state, docStatus); held || err != nil {
		return nil, nil, nil, nil, err
	}
	b, err := q.batch(ctx, id, m)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	var originals []string // they go into the package
	for _, dr := range documents(b) {
		for _, pg := range dr.d.Pages {
			originals = append(originals, pg.File)
		}
	}
	fetched, err := q.fetchFiles(ctx, id, b.Dir, originals)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return m, b, docStatus, fetched, nil
}

// assemble writes the bag of batch id under out with pipeline.Packager, from
// the stored page and document results (those stored as they are taken also
// into the archive through early), and returns its report (an incomplete
// package is not an error).
func (q *Queue) assemble(ctx context.Context, id string, m *meta, b *pipeline.Batch, docStatus map[int]state.DocStatus, out string, early *earlyPuts) (*pipeline.Report, error) {
	po := q.opts.Pipeline
	var err error
	if po.Superseded, err = q.superseded(ctx, id); err != nil {
		return nil, err
	}
	if po.AuditTrail, err = q.auditTrail(ctx, id); err != nil {
		return nil, err
	}
	if m.state == state.BatchApproved { // reviewed: the record goes into the package
		if po.Inspection, err = q.inspection(ctx, id, b); err != nil {
			return nil, err
		}
	}
	b, fixed, err := q.correctedBatch(ctx, id, b)
	if err != nil {
		return nil, err
	}
	po.Overwrite = true
	po.Now = func() time.Time { return m.submitted } // the same package from every run
	po.Location = id + "/"                           // in the archive store
	po.Staging = true                                // archived, then removed: see pipeline.Options.Staging
	pk, err := pipeline.NewPackager(b, out, po)
	if err != nil {
		return nil, err
	}
	defer pk.Abort()
	if err := q.addDocuments(ctx, pk, id, docStatus, fixed, m, b, early); err != nil {
		return nil, err
	}
	rep, err := pk.Finish()
	if err != nil && !errors.Is(err, pipeline.ErrIncomplete) {
		return nil, err
	}
	return rep, nil
}

// sealPackage seals the complete bag at bagDir of batch id onto the
// organisation's chain of seals in the archive store.
func (q *Queue) sealPackage(ctx context.Context, id, bagDir string, ret *storage.Retention) error {
	chain := seal.StoreChain{Store: q.stores.Archive, Retention: ret, Stamper: q.opts.Stamper}
	link, err := chain.Seal(ctx, bagDir, q.opts.Signer)
	if err != nil {
		return fmt.Errorf("batch %s: %w", id, err)
	}
	q.opts.Logger.Info("batch sealed", "batch", id, "seal", link.SHA256, "previous", link.PreviousSHA256)
	return nil
}

// recordPackaged records the final state of batch id, once its package is
// archived, and returns it. A concurrent delivery of the same package task
// that recorded it first is not an error.
func (q *Queue) recordPackaged(ctx context.Context, id string, complete bool) (state.BatchState, error) {
	to := StateComplete
	if !complete {
		to = StateIncomplete
	}
	from, err := q.transition(ctx, id, to, worker, "", "finished", time.Now().UTC().Format(time.RFC3339Nano))
	if isTransition(err) && from == to {
		return to, nil
	}
	return to, err
}

// cleanPackaged drops what the workers kept of packaged batch id: its
// results in the work store when complete (and CleanWork is set), its local
// copy and the work store objects it kept.
func (q *Queue) cleanPackaged(ctx context.Context, id string, complete bool) {
	if complete && q.opts.CleanWork {
		// The page and document results are in the package now. An
		// incomplete batch keeps them for Retry. The originals stay in the inbox.
		q.cleanWork(ctx, id)
	}
	q.forgetBatch(id)
	q.forgetKept(id)
	os.RemoveAll(filepath.Join(q.opts.CacheDir, id))
	q.local.forget(filepath.Join(q.opts.CacheDir, id))
}

// cleanWork deletes the intermediate objects of batch id from the work
// store (deleteWork). A failure only leaves garbage behind, so it is logged,
// not returned.
func (q *Queue) cleanWork(ctx context.Context, id string) {
	if err := q.deleteWork(ctx, id); err != nil {
		q.opts.Logger.Warn("cleaning the work store", "batch", id, "error", err)
	}
}

// deleteWork deletes every object of batch id from the work store, in as
// few requests as the store allows (storage.DeleteAll).
func (q *Queue) deleteWork(ctx context.Context, id string) error {
	var keys []string
	if err := q.stores.Work.List(ctx, id+"/", func(o storage.ObjectInfo) error { keys = append(keys, o.Key); return nil }); err != nil {
		return err
	}
	return storage.DeleteAll(ctx, q.stores.Work, keys)
}
