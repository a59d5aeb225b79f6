package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/state"
)

// Errors of Submit and Replace.
var (
	// ErrConflict means a batch id already names a different batch: other
	// files, other documents or pages, or another metadata sheet. Nothing is
	// stored. A corrected page goes through Replace.
	ErrConflict = errors.New("a different batch was submitted under this id")
	// ErrSealed means the batch's package is complete, sealed and locked:
	// nothing in it can be replaced any more.
	ErrSealed = errors.New("the batch's package is complete and sealed")
)

// ReplaceResult says what Replace did.
type ReplaceResult struct {
	BatchID  string
	Files    []string // the originals replaced, each by a new version
	Pages    int      // pages re-run
	Document []int    // documents re-run, by number in batch order (0-based)
}

// localSums returns the SHA-256 and size of every file of b to upload.
func localSums(b *pipeline.Batch) (map[string]string, map[string]int64, error) {
	sums, sizes := map[string]string{}, map[string]int64{}
	for _, f := range batchFiles(b) {
		sum, size, err := bag.HashFile(filepath.Join(b.Dir, filepath.FromSlash(f)))
		if err != nil {
			return nil, nil, fmt.Errorf("submit %s: %w", f, err)
		}
		sums[f], sizes[f] = sum, size
	}
	return sums, sizes, nil
}

// shape is what a batch is made of, apart from its files' content: its
// documents with their codes and pages, the metadata sheet's content aside.
func shape(b *pipeline.Batch) string {
	var sb strings.Builder
	for _, dr := range documents(b) {
		fmt.Fprintf(&sb, "%s|%s|%s\n", dr.f.Meta.FileCode, dr.d.Meta.DocCode, dr.d.Source)
		for _, pg := range dr.d.Pages {
			fmt.Fprintf(&sb, "  %d %s %d\n", pg.Index, pg.File, pg.FilePage)
		}
	}
	return sb.String()
}

// checkSame returns ErrConflict, with what differs, unless b (with file
// sums) is the batch submitted under its id: the same files with the same
// content and the same structure. It returns false when the id is not known.
func (q *Queue) checkSame(ctx context.Context, b *pipeline.Batch, sums map[string]string) (known bool, err error) {
	n, err := q.rdb.Exists(ctx, keyBatch(b.ID)).Result()
	if err != nil {
		return false, fmt.Errorf("submit %s: %w", b.ID, err)
	}
	if n == 0 {
		return false, nil
	}
	old, err := q.rdb.HGetAll(ctx, keyFiles(b.ID)).Result()
	if err != nil {
		return true, fmt.Errorf("submit %s: %w", b.ID, err)
	}
	var diff []string
	for f, s := range sums {
		switch o, ok := old[f]; {
		case !ok:
			diff = append(diff, f+" was not in it")
		case o != s:
			diff = append(diff, f+" has other content")
		}
	}
	for f := range old {
		if _, ok := sums[f]; !ok {
			diff = append(diff, f+" is missing")
		}
	}
	if len(diff) == 0 {
		data, err := q.rdb.Get(ctx, keyStructure(b.ID)).Bytes()
		if err != nil && !errors.Is(err, redis.Nil) {
			return true, fmt.Errorf("submit %s: %w", b.ID, err)
		}
		if st, err := encodeStructure(b); err != nil {
			return true, fmt.Errorf("submit %s: %w", b.ID, err)
		} else if data != nil && !bytes.Equal(st, data) {
			diff = append(diff, "its documents, pages or settings (--dpi) differ")
		}
	}
	if len(diff) > 0 {
		sort.Strings(diff)
		return true, fmt.Errorf("submit %s: %w: %s (a corrected page goes through submit --replace)", b.ID, ErrConflict, strings.Join(diff, "; "))
	}
	return true, nil
}

// Replace stores the originals of b that differ from those submitted under
// its id as new versions in the inbox (the earlier versions are kept, and
// the package's PREMIS records both by their SHA-256), then re-runs the
// pages of those files and their documents, and writes the package again.
// b, loaded with lo, must be the submitted batch (with the same --dpi) with
// only the content of page files changed:
// other files, documents or pages, or another metadata sheet, give
// ErrConflict. Replace works on a batch whose package was written incomplete;
// it returns ErrRunning while the batch's tasks run and ErrSealed once its
// package is complete (sealed and locked). In review (or rejected) the
// documents whose pages are replaced are processed again and go back to
// The batch's state change is recorded in the audit trail as who's.
// unreviewed; the earlier originals are kept as superseded versions. Nothing is stored when it refuses.
func (q *Queue) Replace(ctx context.Context, b *pipeline.Batch, lo pipeline.LoadOptions, who audit.Actor) (*ReplaceResult, error) {
	id := b.ID
	res := &ReplaceResult{BatchID: id}
	sums, sizes, err := localSums(b)
	if err != nil {
		return nil, err
	}
	m, err := q.meta(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("replace: %w", err)
	}
	if err := replaceable(id, m.state); err != nil {
		return nil, err
	}
	if lo.DPI != m.lo.DPI {
		return nil, fmt.Errorf("replace %s: %w: it was submitted with --dpi %g, not %g", id, ErrConflict, m.lo.DPI, lo.DPI)
	}
	old, changed, err := q.changedFiles(ctx, b, sums)
	if err != nil {
		return nil, err
	}
	if len(changed) == 0 {
		return res, nil
	}
	added, err := q.storeVersions(ctx, b, changed, old, sums, sizes)
	if err != nil {
		return nil, err
	}
	structure, err := encodeStructure(b)
	if err != nil {
		return nil, fmt.Errorf("replace %s: %w", id, err)
	}
	steps, docs, pages := replaceTasks(b, changed, res)
	newSums := map[string]any{}
	for _, f := range changed {
		newSums[f] = sums[f]
	}
	if err := q.recordReplace(ctx, id, newSums, added, structure, steps, docs, pages, who); err != nil {
		return nil, err
	}
	res.Files = changed
	q.opts.Logger.Info("originals replaced", "batch", id, "files", changed, "pages", res.Pages)
	if err := q.enqueueRetry(ctx, id, steps, &RetryResult{}); err != nil {
		return res, err
	}
	return res, nil
}

// changedFiles compares the files of b (sums: their SHA-256) with those
// submitted under its id (old, returned), and returns the page files that
// changed, sorted. Any other difference, in the files or in the batch's
// documents and pages, is ErrConflict.
func (q *Queue) changedFiles(ctx context.Context, b *pipeline.Batch, sums map[string]string) (old map[string]string, changed []string, err error) {
	id := b.ID
	old, err = q.rdb.HGetAll(ctx, keyFiles(id)).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("replace %s: %w", id, err)
	}
	for f, s := range sums {
		o, ok := old[f]
		switch {
		case !ok:
			return nil, nil, fmt.Errorf("replace %s: %w: %s was not in the submitted batch", id, ErrConflict, f)
		case o == s:
		case f == pipeline.MetadataFile:
			return nil, nil, fmt.Errorf("replace %s: %w: %s changed; only page files can be replaced", id, ErrConflict, f)
		default:
			changed = append(changed, f)
		}
	}
	for f := range old {
		if _, ok := sums[f]; !ok {
			return nil, nil, fmt.Errorf("replace %s: %w: %s is missing", id, ErrConflict, f)
		}
	}
	sort.Strings(changed)
	data, err := q.rdb.Get(ctx, keyStructure(id)).Bytes()
	if err != nil {
		return nil, nil, fmt.Errorf("replace %s: structure: %w", id, err)
	}
	submitted, err := decodeStructure(data, "")
	if err != nil {
		return nil, nil, fmt.Errorf("replace %s: structure: %w", id, err)
	}
	if shape(submitted) != shape(b) {
		return nil, nil, fmt.Errorf("replace %s: %w: its documents or pages differ from those submitted; a replaced file must keep its pages", id, ErrConflict)
	}
	return old, changed, nil
}

// storeVersions puts the changed files of b into the inbox as new versions,
// under keys of their own (the tasks name them), and returns each file's new
// list of versions as JSON, to be recorded under keyVersions.
func (q *Queue) storeVersions(ctx context.Context, b *pipeline.Batch, changed []string, old, sums map[string]string, sizes map[string]int64) (map[string]any, error) {
	id := b.ID
	versions, err := q.versions(ctx, id)
	if err != nil {
		return nil, err
	}
	// The new versions go to keys of their own; the tasks below name them.
	now := time.Now().UTC()
	added := map[string]any{}
	for _, f := range changed {
		vs := versions[f]
		if len(vs) == 0 {
			vs = []version{{Version: 1, SHA256: old[f], Key: inboxKey(id, f)}}
			if info, err := q.stores.Inbox.Stat(ctx, inboxKey(id, f)); err == nil {
				vs[0].Size, vs[0].Stored = info.Size, info.ModTime.UTC()
			} else {
				return nil, fmt.Errorf("replace %s: %s: %w", id, f, err)
			}
		}
		n := vs[len(vs)-1].Version + 1
		v := version{Version: n, SHA256: sums[f], Size: sizes[f], Key: versionKey(id, n, f), Stored: now}
		if err := q.putVersion(ctx, b, f, v); err != nil {
			return nil, err
		}
		js, _ := json.Marshal(append(vs, v))
		added[f] = string(js)
	}
	return added, nil
}

// replaceTasks returns the tasks that re-run the pages of the changed files
// of b and their documents (with the tasks that drop their results first),
// the documents and the failure records concerned, and counts them in res.
func replaceTasks(b *pipeline.Batch, changed []string, res *ReplaceResult) (steps plan, docs map[int]bool, pages []pageRef) {
	docs = map[int]bool{}
	for d, dr := range documents(b) {
		for _, pg := range dr.d.Pages {
			if slices.Contains(changed, pg.File) {
				docs[d] = true
				steps = append(steps, dropPageStep(d, pg.Index), pageStep(d, pg.Index))
				pages = append(pages, pageRef{d, pg.Index})
				res.Pages++
			}
		}
	}
	for d := range docs {
		steps = append(steps, dropDocStep(d))
		res.Document = append(res.Document, d)
	}
	sort.Ints(res.Document)
	return steps, docs, pages
}

// recordReplace records, in one Redis transaction that fails (ErrRunning) if
// the batch changed meanwhile, the new files' SHA-256 and versions, the new
// structure, a new round and version of batch id queued again, what it
// forgets of the pages and documents re-run, and the tasks to enqueue; the
// state change as who's.
func (q *Queue) recordReplace(ctx context.Context, id string, newSums, added map[string]any, structure []byte, steps plan, docs map[int]bool, pages []pageRef, who audit.Actor) error {
	err := q.rdb.Watch(ctx, func(tx *redis.Tx) error {
		h, err := tx.HGetAll(ctx, keyBatch(id)).Result()
		if err != nil {
			return fmt.Errorf("replace %s: %w", id, err)
		}
		st, err := state.ParseBatch(h["state"])
		if err != nil {
			return fmt.Errorf("replace %s: %w", id, err)
		}
		if err := replaceable(id, st); err != nil {
			return err
		}
		if n, err := tx.Exists(ctx, keyRetry(id)).Result(); err != nil {
			return fmt.Errorf("replace %s: %w", id, err)
		} else if n > 0 {
			return fmt.Errorf("replace %s: a retry is being started: %w", id, ErrRunning)
		}
		round, err := intField(h, "retries")
		if err != nil {
			return fmt.Errorf("replace %s: %w", id, err)
		}
		gen, err := intField(h, "version")
		if err != nil {
			return fmt.Errorf("replace %s: %w", id, err)
		}
		var moved *transitionCmd
		_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.HSet(ctx, keyFiles(id), newSums)
			pipe.HSet(ctx, keyVersions(id), added)
			pipe.Set(ctx, keyStructure(id), structure, 0)
			moved = q.sendTransition(ctx, pipe, id, StateQueued, who, "pages replaced", "retries", round+1, "version", gen+1)
			pipe.HDel(ctx, keyBatch(id), "error", "finished")
			forgetPages(ctx, pipe, id, pages)
			for _, r := range pages {
				pipe.HDel(ctx, keyFlags(id), r.String())
			}
			for d := range docs {
				pipe.HDel(ctx, keyDocs(id), strconv.Itoa(d))
				// Reviewed again once processed (accepted or rejected to unreviewed).
				pipe.HDel(ctx, keyReview(id), strconv.Itoa(d))
				pipe.HDel(ctx, keyRejections(id), strconv.Itoa(d))
			}
			pipe.SAdd(ctx, keyRetry(id), steps.strings())
			return nil
		})
		if err != nil {
			return err
		}
		_, err = moved.result()
		return err
	}, keyBatch(id), keyRetry(id), keyFiles(id))
	if errors.Is(err, redis.TxFailedErr) {
		err = fmt.Errorf("replace %s: changed at the same time by someone else: %w", id, ErrRunning)
	}
	return err
}

// replaceable returns why a batch in state cannot have originals replaced, or nil.
func replaceable(id string, st state.BatchState) error {
	switch st {
	case StateIncomplete, state.BatchReview, state.BatchRejected:
		return nil
	case StateComplete, StateCopying:
		return fmt.Errorf("replace %s: %w: a page can no longer be replaced", id, ErrSealed)
	case StateQueued:
		return fmt.Errorf("replace %s: wait until it is packaged or in review: %w", id, ErrRunning)
	case state.BatchUploading:
		return fmt.Errorf("replace %s: its submit has not completed: submit it again to finish: %w", id, ErrRunning)
	case state.BatchApproved:
		return fmt.Errorf("replace %s: it is approved and being packaged: %w", id, ErrRunning)
	}
	return fmt.Errorf("replace %s: the batch failed (%s): run sohoa retry first", id, st)
}

// dropResults deletes from the work store the results named by the "drop
// page d p" and "drop doc d" tasks that Replace records, before the page
// tasks are enqueued again: those are made from a replaced original, and the
// tasks would keep them (putOnce) instead of making them anew. Other tasks
// are left alone.
func (q *Queue) dropResults(ctx context.Context, id string, steps plan) error {
	for _, s := range steps {
		var keys []string
		switch s.kind {
		case stepDropPage:
			keys = []string{pageKey(id, s.doc, s.page)}
		case stepDropDoc:
			keys = []string{docKey(id, s.doc, "pdf"), docKey(id, s.doc, "txt"), docKey(id, s.doc, "alto.xml")}
		}
		for _, k := range keys {
			if err := q.stores.Work.Delete(ctx, k); err != nil {
				return fmt.Errorf("replace %s: %w", id, err)
			}
		}
	}
	return nil
}
