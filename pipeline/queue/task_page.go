package queue

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/state"
	"github.com/sohoa-vn/sohoa/storage"
)

// pageResult is what a page task stores: a PageResult without its Page, which is
// found again in the loaded batch.
type pageResult struct {
	Original pipeline.Original
	Geometry pipeline.Geometry
	Width    int
	Height   int
	Image    pdfa.Image
	OCR      *ocr.Result
	Flags    []string
	Timings  pipeline.Timings
	// The second reading of the signer block (pipeline.PageResult).
	SignerWords  []ocr.Word
	SignerRegion image.Rectangle
}

// handlePage runs a page task; when the page is its document's last, the
// document task is enqueued.
func (q *Queue) handlePage(ctx context.Context, t *asynq.Task, pool *ocr.Pool) error {
	return q.runPage(ctx, t, pool, false)
}

// runPage runs a page task; when the page is its document's last, the
// document task is enqueued, or with handOff run here (see handOff).
func (q *Queue) runPage(ctx context.Context, t *asynq.Task, pool *ocr.Pool, handOff bool) error {
	var p pagePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("page task: %v: %w", err, asynq.SkipRetry)
	}
	m, err := q.meta(ctx, p.Batch)
	if err != nil {
		return err
	}
	if m.state != StateQueued && m.state != state.BatchUploading {
		return nil // a late duplicate: the batch has finished (Retry makes it queued again first)
	}
	if ok, err := q.rdb.SIsMember(ctx, keyDocPages(p.Batch, p.Doc), p.Page).Result(); err != nil {
		return fmt.Errorf("page %+v: %w", p, err)
	} else if ok {
		// A duplicate delivery of a finished page, or a retry of a task whose
		// worker lost Redis after recording the page but before enqueueing
		// its document: enqueue the document again (its TaskID makes that
		// idempotent), or it would wait for ever.
		return q.docPagesDone(ctx, p.Batch, p.Doc, -1)
	}
	b, err := q.batch(ctx, p.Batch, m)
	if err != nil {
		return err
	}
	docs := documents(b)
	if p.Doc < 0 || p.Doc >= len(docs) || p.Page < 1 || p.Page > len(docs[p.Doc].d.Pages) {
		return fmt.Errorf("page %+v: not in the batch: %w", p, asynq.SkipRetry)
	}
	pg := docs[p.Doc].d.Pages[p.Page-1]
	// The file is checked against the SHA-256 recorded at submit as it is
	// fetched (or was, by an earlier page of it): that is its identity, not
	// hashed again for this page.
	known, err := q.fetchFiles(ctx, p.Batch, b.Dir, []string{pg.File})
	if err != nil {
		return fmt.Errorf("page %s %d: %w", pg.File, pg.FilePage, err)
	}
	var originals pipeline.Originals
	originals.Known(known[pg.File])
	eng, err := pool.Get(ctx)
	if err != nil {
		return fmt.Errorf("page %s %d: %w", pg.File, pg.FilePage, err)
	}
	taskID, _ := asynq.GetTaskID(ctx)
	q.opts.Logger.Info("page started", "task", taskID, "file", pg.File, "page", pg.FilePage)
	po := q.opts.Pipeline
	res, err := pipeline.ProcessPage(ctx, eng, b.Dir, pg, pipeline.PageOptions{DPI: pg.DPI, MinConfidence: minConfidence(po), Encode: po.Encode,
		Originals: &originals})
	pool.Put(eng)
	if err != nil {
		var pe *pipeline.PageError
		if errors.As(err, &pe) && pe.Stage == pipeline.StageDecode && ctx.Err() == nil && !errors.Is(err, fs.ErrNotExist) {
			// A corrupt image does not get better: fail its document now (recorded by handleError).
			return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
		}
		return err
	}
	pr := pageResult{Original: res.Original, Geometry: res.Geometry, Width: res.Width, Height: res.Height,
		Image: res.Image, OCR: res.OCR, Flags: res.Flags, Timings: res.Timings, SignerWords: res.SignerWords, SignerRegion: res.SignerRegion}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&pr); err != nil {
		return fmt.Errorf("page %s %d: %w", pg.File, pg.FilePage, err)
	}
	t0 := time.Now()
	key := pageKey(p.Batch, p.Doc, p.Page)
	sum, err := putDataOnce(ctx, q.stores.Work, key, buf.Bytes())
	if err != nil {
		return fmt.Errorf("page %s %d: %w", pg.File, pg.FilePage, err)
	}
	q.observeStage(ctx, StageUpload, time.Since(t0))
	// Kept for the document and package tasks, when they run here.
	q.keep(p.Batch, m, key, sum, func(dst string) error { return writeFileAtomic(dst, buf.Bytes()) })
	return q.pageFinished(ctx, p, nil, handOff, len(docs[p.Doc].d.Pages), func() {
		if q.opts.Observer != nil {
			q.opts.Observer.PageDone(ctx, res)
		}
	}, func(pipe redis.Pipeliner) error { return recordFlags(ctx, pipe, p, pg, res.Flags) })
}

func minConfidence(o pipeline.Options) float64 {
	if o.MinConfidence == 0 {
		return 70
	}
	return o.MinConfidence
}

// putOnce stores data under key; an object already there (from an earlier
// delivery of the same task, whose timings differ) is kept.
func putOnce(ctx context.Context, s storage.Store, key string, data []byte) error {
	_, err := putDataOnce(ctx, s, key, data)
	return err
}

// pageFinished records a page as finished (failed when fl is set; writes
// queue its other records first) and, when it was the last of the n pages
// of its document (n < 0: look the count up), enqueues the document task,
// in one round trip to Redis; with handOff, the document task is run here
// (see handOff). recorded is called when this call recorded
// the page, not an earlier or concurrent delivery of its task: what it
// counts is counted once.
func (q *Queue) pageFinished(ctx context.Context, p pagePayload, fl *failure, handOff bool, n int, recorded func(), writes ...func(redis.Pipeliner) error) error {
	pipe := q.rdb.Pipeline()
	if fl != nil {
		js, _ := json.Marshal(fl)
		pipe.HSetNX(ctx, keyPageFails(p.Batch), pageRef{p.Doc, p.Page}.String(), js)
	}
	for _, w := range writes {
		if err := w(pipe); err != nil {
			return err
		}
	}
	added := pipe.SAdd(ctx, keyDocPages(p.Batch, p.Doc), p.Page)
	return q.afterPages(ctx, pipe, p.Batch, p.Doc, n, handOff, func() {
		if added.Val() == 1 && recorded != nil {
			recorded()
		}
	})
}

// docPagesDone enqueues the document task when all n pages of document d have
// finished (n < 0: look the count up).
func (q *Queue) docPagesDone(ctx context.Context, id string, d, n int) error {
	return q.afterPages(ctx, q.rdb.Pipeline(), id, d, n, false, nil)
}

// afterPages runs pipe (the writes of a page, if any) with the reading of
// document d's finished pages and the batch's round, calls ran once it
// succeeded, and enqueues the document task when all n pages of the
// document have finished (n < 0: look the count up), or with handOff runs
// it here (see handOff).
func (q *Queue) afterPages(ctx context.Context, pipe redis.Pipeliner, id string, d, n int, handOff bool, ran func()) error {
	done := pipe.SCard(ctx, keyDocPages(id, d))
	retries := pipe.HGet(ctx, keyBatch(id), "retries")
	st := pipe.HGet(ctx, keyBatch(id), "state") // read after the page is recorded
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("batch %s document %d: %w", id, d, err)
	}
	if ran != nil {
		ran()
	}
	if st.Val() == state.BatchUploading.String() {
		// Submit is still storing originals: the batch task, enqueued once
		// it is queued (after this read), enqueues the documents whose
		// pages have all finished by then.
		return nil
	}
	if n < 0 {
		m, err := q.meta(ctx, id)
		if err != nil {
			return err
		}
		b, err := q.batch(ctx, id, m)
		if err != nil {
			return err
		}
		n = len(documents(b)[d].d.Pages)
	}
	if int(done.Val()) < n {
		return nil
	}
	round, err := retries.Int()
	if errors.Is(err, redis.Nil) {
		round, err = 0, nil
	}
	if err != nil {
		return fmt.Errorf("batch %s: retries: %w", id, err)
	}
	if handOff {
		return q.handOff(ctx, TypeDocument, docPayload{id, d}, docTaskID(id, d, round), func(ctx context.Context, t *asynq.Task) error {
			return q.runDocument(ctx, t, true)
		})
	}
	return q.enqueue(ctx, TypeDocument, docPayload{id, d}, docTaskID(id, d, round))
}

// pageFailures returns the failure records of batch id's pages, by pageRef.
func (q *Queue) pageFailures(ctx context.Context, id string) (map[string]string, error) {
	fails, err := q.rdb.HGetAll(ctx, keyPageFails(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("batch %s: %w", id, err)
	}
	return fails, nil
}

// loadPage returns page pg of document d of batch id as m describes it: its
// stored result (the copy this worker kept when it stored it, or else
// downloaded: workObject), or its failure as a *pipeline.PageError when
// fails (pageFailures) holds one.
func (q *Queue) loadPage(ctx context.Context, id string, m *meta, d int, pg *pipeline.Page, fails map[string]string) (res *pipeline.PageResult, pageErr, err error) {
	if js, ok := fails[pageRef{d, pg.Index}.String()]; ok {
		var fl failure
		if err := json.Unmarshal([]byte(js), &fl); err != nil {
			return nil, nil, fmt.Errorf("batch %s: failure record: %w", id, err)
		}
		if fl.File == "" {
			return nil, &pipeline.PageError{File: pg.File, Page: pg.FilePage, Stage: fl.Stage, Err: errors.New(fl.Reason)}, nil
		}
		return nil, &pipeline.PageError{File: fl.File, Page: fl.Page, Stage: fl.Stage, Err: errors.New(fl.Reason)}, nil
	}
	data, err := q.workObject(ctx, id, m, pageKey(id, d, pg.Index))
	if err != nil {
		return nil, nil, err
	}
	var pr pageResult
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&pr); err != nil {
		return nil, nil, fmt.Errorf("page result %s: %w", pageKey(id, d, pg.Index), err)
	}
	res = &pipeline.PageResult{Page: pg, Original: pr.Original, Geometry: pr.Geometry, Width: pr.Width, Height: pr.Height,
		Image: pr.Image, OCR: pr.OCR, Flags: pr.Flags, Timings: pr.Timings, SignerWords: pr.SignerWords, SignerRegion: pr.SignerRegion}
	if res.OCR == nil {
		res.OCR = &ocr.Result{}
	}
	return res, nil, nil
}

func getAll(ctx context.Context, s storage.Store, key string) ([]byte, error) {
	r, err := s.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return data, nil
}
