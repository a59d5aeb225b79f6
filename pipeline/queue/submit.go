package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
	"github.com/sohoa-vn/sohoa/pipeline/state"
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
// same SHA-256, and enqueues the batch once. lo must be the options b was
// loaded with; workers load the batch again with them. onFile, when set, is
// called after each file.
//
// The batch's structure and sums are recorded first, in state uploading
// (state.BatchUploading), and each page's task is enqueued as soon as its
// original is stored, so that pages start while later originals are still
// uploading; once every original is stored the batch is queued and its batch
// task enqueued (the document tasks wait for that, see afterPages).
//
// An id names one batch. Until a submit completes (the batch is queued),
// the id is not taken: a submit that failed half way leaves a batch in
// state uploading that a new submit of the same batch resumes (uploading
// only what is missing; pages already processed are not processed again)
// and that a submit of a different batch removes first, with everything it
// left (see removeAbandoned). Once queued, a different batch under the id
// is ErrConflict and nothing is stored. One submit of an id runs at a time
// (another is ErrBusy, with ErrConflict).
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
	st, err := q.recordedState(ctx, b.ID)
	if err != nil {
		return res, err
	}
	if st == state.BatchUploading {
		// An earlier submit never completed: resumed if it is this batch,
		// removed if it is another.
		if _, err := q.checkSame(ctx, b, local); errors.Is(err, ErrConflict) {
			if err := q.removeAbandoned(ctx, b.ID); err != nil {
				return res, err
			}
			st = ""
		} else if err != nil {
			return res, err
		}
	}
	known := st != "" && st != state.BatchUploading
	var stored map[string]bool // files in the inbox already, equal to b's; the others are absent
	if known {
		if _, err := q.checkSame(ctx, b, local); err != nil {
			return res, err // a different batch under a known id: nothing stored
		}
	} else if res.Removed, stored, err = q.removePartial(ctx, b.ID, local); err != nil {
		return res, err
	}
	if st == "" {
		if err := q.recordBatch(ctx, b, lo, local); err != nil {
			return res, err
		}
	}
	var pages func(ctx context.Context, file string) error
	if !known {
		pages = q.pagesOf(b)
	}
	if err := q.uploadFiles(ctx, b, files, local, sizes, known, stored, renew, onFile, res, pages); err != nil {
		return res, err
	}
	if !known {
		// Every original is stored and every page enqueued: the id is taken.
		if from, err := q.sendTransition(ctx, q.rdb, b.ID, StateQueued, worker, "submitted").check(); err != nil && from != StateQueued {
			return res, fmt.Errorf("submit %s: %w", b.ID, err)
		}
	}
	key := keyBatch(b.ID)
	if n, err := q.rdb.HExists(ctx, key, "enqueued").Result(); err != nil {
		return res, fmt.Errorf("submit %s: %w", b.ID, err)
	} else if n {
		return res, nil
	}
	if err := q.enqueue(ctx, TypeBatch, batchPayload{b.ID}, batchTaskID(b.ID, 0)); err != nil {
		return res, err
	}
	res.Enqueued = true
	if err := q.rdb.HSet(ctx, key, "enqueued", q.now().UTC().Format(time.RFC3339Nano)).Err(); err != nil {
		return res, fmt.Errorf("submit %s: %w", b.ID, err)
	}
	return res, nil
}

// recordedState returns the state of the batch recorded under id, "" when
// there is none.
func (q *Queue) recordedState(ctx context.Context, id string) (state.BatchState, error) {
	v, err := q.rdb.HGet(ctx, keyBatch(id), "state").Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("submit %s: %w", id, err)
	}
	st, err := state.ParseBatch(v)
	if err != nil {
		return "", fmt.Errorf("submit %s: %w", id, err)
	}
	return st, nil
}

// pagesOf returns what Submit does once an original of batch b is stored:
// enqueue the tasks of the pages in it (of the first round).
func (q *Queue) pagesOf(b *pipeline.Batch) func(ctx context.Context, file string) error {
	type page struct{ doc, index int }
	byFile := map[string][]page{}
	for i, dr := range documents(b) {
		for _, pg := range dr.d.Pages {
			byFile[pg.File] = append(byFile[pg.File], page{i, pg.Index})
		}
	}
	return func(ctx context.Context, file string) error {
		for _, p := range byFile[file] {
			if err := q.enqueuePage(ctx, b.ID, p.doc, p.index, 0); err != nil {
				return err
			}
		}
		return nil
	}
}

// submitPuts is how many originals Submit stores at once: each waits on a
// round trip to the inbox store (and the store's check of its SHA-256).
const submitPuts = 4

// uploadFiles stores the files of batch b in the inbox (none for a batch
// already known, whose files were all stored before it was queued, some
// perhaps as later versions by Replace; none of those in stored, there
// already, as removePartial found; the others are absent), submitPuts at a
// time, counting uploads in res, and calls pages (when set) for each file
// once it is in the inbox, uploaded now or before. onFile is told in file
// order: when it hears done, the first done files are stored.
func (q *Queue) uploadFiles(ctx context.Context, b *pipeline.Batch, files []string, local map[string]string, sizes map[string]int64, known bool,
	stored map[string]bool, renew func(context.Context), onFile func(done, total int), res *SubmitResult, pages func(context.Context, string) error) error {
	var mu sync.Mutex
	inbox, next := make([]bool, len(files)), 0
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(submitPuts)
	for i, f := range files {
		if gctx.Err() != nil {
			break // a put failed or the submit was stopped: store no more
		}
		g.Go(func() error {
			up := !known && !stored[f]
			if up {
				if err := q.upload(gctx, b, f, local[f], sizes[f]); err != nil {
					return err
				}
				renew(gctx)
			}
			if pages != nil {
				if err := pages(gctx, f); err != nil {
					return err
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if up {
				res.Uploaded++
			}
			for inbox[i] = true; next < len(files) && inbox[next]; next++ {
				if onFile != nil {
					onFile(next+1, len(files))
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("submit %s: %w", b.ID, err)
	}
	return nil
}

// recordBatch records batch b with its files' sums (file -> SHA-256), its
// structure and its load options, in state uploading, with a new
// submission token (meta.sub) that tells it from a batch recorded earlier
// under its id.
func (q *Queue) recordBatch(ctx context.Context, b *pipeline.Batch, lo pipeline.LoadOptions, local map[string]string) error {
	key := keyBatch(b.ID)
	sums := make(map[string]any, len(local))
	for f, s := range local {
		sums[f] = s
	}
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
	token := make([]byte, 8)
	if _, err := rand.Read(token); err != nil {
		return fmt.Errorf("submit %s: %w", b.ID, err)
	}
	// The batch is recorded in one transaction: its record appears with its
	// files and structure or not at all.
	pipe := q.rdb.TxPipeline()
	pipe.HSetNX(ctx, key, "submitted", q.now().UTC().Format(time.RFC3339Nano))
	pipe.HSet(ctx, keyFiles(b.ID), sums)
	pipe.Set(ctx, keyStructure(b.ID), structure, 0)
	if len(index) > 0 {
		pipe.HSet(ctx, keyDocIndex(b.ID), index)
		pipe.HSet(ctx, keyDocCodes(b.ID), codes)
	}
	pipe.HSet(ctx, key, "dpi", strconv.FormatFloat(lo.DPI, 'g', -1, 64), "isolated", strconv.FormatBool(lo.Isolated),
		"documents", b.Documents(), "pages", b.Pages(), "sub", hex.EncodeToString(token))
	pipe.HSetNX(ctx, key, "state", state.BatchUploading)
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
// localSums, into the inbox, where it is absent (removePartial found it
// so, and the submit's claim keeps it so): one request, with no look first.
// The file is not hashed again: the store checks the content it receives
// against sum (a file changed since is refused), and refuses other content
// found under the key after all (ErrExists).
func (q *Queue) upload(ctx context.Context, b *pipeline.Batch, file, sum string, size int64) error {
	f, err := os.Open(filepath.Join(b.Dir, filepath.FromSlash(file)))
	if err != nil {
		return fmt.Errorf("submit %s: %w", file, err)
	}
	defer f.Close()
	if _, err := q.stores.Inbox.Put(ctx, inboxKey(b.ID, file), f, size, storage.PutOptions{SHA256: sum, Absent: true}); err != nil {
		return fmt.Errorf("submit %s: %w", file, err)
	}
	return nil
}
