package queue

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/storage"
)

// SubmitResult says what Submit did.
type SubmitResult struct {
	BatchID  string
	Files    int  // files of the batch
	Uploaded int  // files put into the inbox store by this call
	Enqueued bool // false when the batch had been enqueued before
	// Removed counts originals left in the inbox by an earlier submit of
	// this id that never completed and that this batch does not have.
	Removed int
}

// Submit uploads the originals of b (and its metadata sheet) to the inbox
// store, each verified by its SHA-256, skipping those already there with the
// same SHA-256, then enqueues the batch once (with its first pages, see startPages). lo must be the options b was
// loaded with; workers load the batch again with them. onFile, when set, is
// called after each file.
//
// An id names one batch. Until a submit completes (the batch is recorded),
// the id is not taken: a submit that failed half way leaves originals that
// a new submit of the same batch keeps (it resumes, uploading only what is
// missing) and a submit of a different batch removes first. Once recorded,
// a different batch under the id is ErrConflict and nothing is stored. One
// submit of an id runs at a time (another is ErrBusy, with ErrConflict).
func (q *Queue) Submit(ctx context.Context, b *pipeline.Batch, lo pipeline.LoadOptions, onFile func(done, total int)) (*SubmitResult, error) {
	files := batchFiles(b)
	res := &SubmitResult{BatchID: b.ID, Files: len(files)}
	local, sizes, err := localSums(b)
	if err != nil {
		return res, err
	}
	renew, release, err := q.claim(ctx, b.ID)
	if err != nil {
		return res, err
	}
	defer release()
	known, err := q.checkSame(ctx, b, local)
	if err != nil {
		return res, err // a different batch under a known id: nothing stored
	}
	if !known {
		if res.Removed, err = q.removePartial(ctx, b.ID, local); err != nil {
			return res, err
		}
	}
	sums, err := q.uploadFiles(ctx, b, files, local, sizes, known, renew, onFile, res)
	if err != nil {
		return res, err
	}
	key := keyBatch(b.ID)
	now := q.now().UTC().Format(time.RFC3339Nano)
	if err := q.recordBatch(ctx, b, lo, sums, now); err != nil {
		return res, err
	}
	if n, err := q.rdb.HExists(ctx, key, "enqueued").Result(); err != nil {
		return res, fmt.Errorf("submit %s: %w", b.ID, err)
	} else if n {
		return res, nil
	}
	if err := q.startPages(ctx, b); err != nil {
		return res, err
	}
	if err := q.enqueue(ctx, TypeBatch, batchPayload{b.ID}, batchTaskID(b.ID, 0)); err != nil {
		return res, err
	}
	res.Enqueued = true
	if err := q.rdb.HSet(ctx, key, "enqueued", now).Err(); err != nil {
		return res, fmt.Errorf("submit %s: %w", b.ID, err)
	}
	return res, nil
}

// submitPuts is how many originals Submit stores at once: each waits on a
// round trip to the inbox store (and the store's check of its SHA-256).
const submitPuts = 4

// uploadFiles stores the files of batch b in the inbox (none for a batch
// already known, whose files were all stored before it was recorded, some
// perhaps as later versions by Replace), submitPuts at a time, and returns
// their SHA-256 by name, counting uploads in res. onFile is told in file
// order: when it hears done, the first done files are stored.
func (q *Queue) uploadFiles(ctx context.Context, b *pipeline.Batch, files []string, local map[string]string, sizes map[string]int64, known bool,
	renew func(context.Context), onFile func(done, total int), res *SubmitResult) (map[string]any, error) {
	sums := map[string]any{}
	for _, f := range files {
		sums[f] = local[f]
	}
	var mu sync.Mutex
	stored, next := make([]bool, len(files)), 0
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(submitPuts)
	for i, f := range files {
		if gctx.Err() != nil {
			break // a put failed or the submit was stopped: store no more
		}
		g.Go(func() error {
			up := false
			if !known {
				var err error
				if up, err = q.upload(gctx, b, f, local[f], sizes[f]); err != nil {
					return err
				}
			}
			if up {
				renew(gctx)
			}
			mu.Lock()
			defer mu.Unlock()
			if up {
				res.Uploaded++
			}
			for stored[i] = true; next < len(files) && stored[next]; next++ {
				if onFile != nil {
					onFile(next+1, len(files))
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("submit %s: %w", b.ID, err)
	}
	return sums, nil
}

// submitPages is how many page tasks Submit enqueues itself, enough to keep
// a few workers busy: see startPages.
const submitPages = 16

// startPages enqueues the page tasks of the first submitPages pages of
// batch b (of its first round), which Submit has recorded: a worker takes
// them at its next look at the queue, where it would otherwise first run
// the batch task and look again (asynq.Config.TaskCheckInterval) for the
// pages that task enqueues. The batch task still enqueues every page; for
// these its enqueue is a no-op (the TaskID is taken).
func (q *Queue) startPages(ctx context.Context, b *pipeline.Batch) error {
	n := 0
	for i, dr := range documents(b) {
		for _, pg := range dr.d.Pages {
			if n == submitPages {
				return nil
			}
			if err := q.enqueuePage(ctx, b.ID, i, pg.Index, 0); err != nil {
				return err
			}
			n++
		}
	}
	return nil
}

// recordBatch records batch b with its files' sums, its structure and its
// load options, submitted at now, in state queued.
func (q *Queue) recordBatch(ctx context.Context, b *pipeline.Batch, lo pipeline.LoadOptions, sums map[string]any, now string) error {
	key := keyBatch(b.ID)
	index, codes := map[string]any{}, map[string]any{}
	for i, dr := range documents(b) {
		index[dr.d.Meta.DocCode] = i
		index[dr.d.Source] = i
		codes[strconv.Itoa(i)] = dr.d.Meta.DocCode
	}
	structure, err := encodeStructure(b)
	if err != nil {
		return fmt.Errorf("submit %s: %w", b.ID, err)
	}
	// The batch is recorded in one transaction: its record appears with its
	// files and structure or not at all, so a submit stopped here leaves no
	// half record that would hold the id.
	pipe := q.rdb.TxPipeline()
	pipe.HSetNX(ctx, key, "submitted", now)
	pipe.HSet(ctx, keyFiles(b.ID), sums)
	pipe.Set(ctx, keyStructure(b.ID), structure, 0)
	if len(index) > 0 {
		pipe.HSet(ctx, keyDocIndex(b.ID), index)
		pipe.HSet(ctx, keyDocCodes(b.ID), codes)
	}
	pipe.HSet(ctx, key, "dpi", strconv.FormatFloat(lo.DPI, 'g', -1, 64), "isolated", strconv.FormatBool(lo.Isolated),
		"documents", b.Documents(), "pages", b.Pages())
	pipe.HSetNX(ctx, key, "state", StateQueued)
	pipe.ZAddNX(ctx, keyBatches(), redis.Z{Score: float64(time.Now().Unix()), Member: b.ID})
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("submit %s: %w", b.ID, err)
	}
	return nil
}

// batchFiles lists the files of b to upload: the metadata sheet, if any, and every page file, sorted.
func batchFiles(b *pipeline.Batch) []string {
	seen := map[string]bool{}
	if _, err := os.Stat(filepath.Join(b.Dir, pipeline.MetadataFile)); err == nil {
		seen[pipeline.MetadataFile] = true
	}
	for _, n := range b.SheetFiles() {
		seen[n] = true
	}
	for _, f := range b.Files {
		for _, d := range f.Documents {
			for _, pg := range d.Pages {
				seen[pg.File] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for f := range seen {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// upload puts one file of b, whose SHA-256 and size were found by
// localSums, into the inbox unless it is there already with the same
// SHA-256. The file is not hashed again: the store checks the content it
// receives against sum (a file changed since is refused). A new file costs
// a look (Stat) and one upload: the store is told the key is absent, so it
// does not look again.
func (q *Queue) upload(ctx context.Context, b *pipeline.Batch, file, sum string, size int64) (uploaded bool, err error) {
	key := inboxKey(b.ID, file)
	info, err := q.stores.Inbox.Stat(ctx, key)
	absent := errors.Is(err, storage.ErrNotExist)
	switch {
	case err == nil && info.SHA256 == sum:
		return false, nil
	case err != nil && !absent:
		return false, fmt.Errorf("submit %s: %w", file, err)
	}
	f, err := os.Open(filepath.Join(b.Dir, filepath.FromSlash(file)))
	if err != nil {
		return false, fmt.Errorf("submit %s: %w", file, err)
	}
	defer f.Close()
	// Other content under key (not absent) is refused by Put: ErrExists.
	if _, err := q.stores.Inbox.Put(ctx, key, f, size, storage.PutOptions{SHA256: sum, Absent: absent}); err != nil {
		return false, fmt.Errorf("submit %s: %w", file, err)
	}
	return true, nil
}
