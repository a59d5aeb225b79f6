package queue

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"golang.org/x/sync/errgroup"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/state"
	"github.com/sohoa-vn/sohoa/storage"
)

// handleDocument runs a document task; when the document is the batch's
// last, the package task is enqueued.
func (q *Queue) handleDocument(ctx context.Context, t *asynq.Task) error {
	return q.runDocument(ctx, t, false)
}

// runDocument runs a document task; when the document is the batch's last,
// the package task is enqueued, or with handOff run here (see handOff).
func (q *Queue) runDocument(ctx context.Context, t *asynq.Task, handOff bool) error {
	var p docPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("document task: %v: %w", err, asynq.SkipRetry)
	}
	if ok, err := q.rdb.HExists(ctx, keyDocs(p.Batch), strconv.Itoa(p.Doc)).Result(); err != nil {
		return fmt.Errorf("document %+v: %w", p, err)
	} else if ok {
		return q.docsDone(ctx, p.Batch, false)
	}
	m, err := q.meta(ctx, p.Batch)
	if err != nil {
		return err
	}
	b, err := q.batch(ctx, p.Batch, m)
	if err != nil {
		return err
	}
	dr := documents(b)[p.Doc]
	work, err := q.docWorkDir()
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	results, errs, err := q.loadSpilled(ctx, p.Batch, m, p.Doc, dr.d, work)
	if err != nil {
		return err
	}
	status := state.DocStatus{State: state.DocDone}
	if len(dr.d.Pages) == 0 {
		status.State = state.DocEmpty // like Process, which neither builds nor counts it
	}
	for _, e := range errs {
		if e != nil {
			status = state.Failed(e.Error())
			break
		}
	}
	if status.State == state.DocDone && !dr.d.Stack { // a stack's documents are built by the package task, once it is split
		t0 := time.Now()
		out, err := pipeline.MakeDocumentFile(ctx, work, b, dr.f, dr.d, results, q.opts.Pipeline.DocumentOptions(m.submitted))
		q.observeStage(ctx, pipeline.StagePDF, time.Since(t0))
		if err != nil {
			status = state.Failed(fmt.Sprintf("%s: %s", pipeline.StagePDF, err))
		} else {
			if err := q.storeDocument(ctx, p, m, out); err != nil {
				return fmt.Errorf("document %s: %w", dr.d.Source, err)
			}
			if err := q.recordDocMeta(ctx, p.Batch, p.Doc, dr.d.ApplyFields(results)); err != nil {
				return err
			}
		}
	}
	if err := q.finishDoc(ctx, p, status); err != nil {
		return fmt.Errorf("document %s: %w", dr.d.Source, err)
	}
	return q.docsDone(ctx, p.Batch, handOff)
}

// docWorkDir makes a work folder for one document task (its pages' spill file
// and its PDF), beside the worker's batch copies, never among originals.
func (q *Queue) docWorkDir() (string, error) {
	if err := os.MkdirAll(q.opts.CacheDir, 0o700); err != nil {
		return "", fmt.Errorf("document work folder: %w", err)
	}
	dir, err := os.MkdirTemp(q.opts.CacheDir, ".doc-")
	if err != nil {
		return "", fmt.Errorf("document work folder: %w", err)
	}
	return dir, nil
}

// loadSpilled loads the page results of document d of batch id as m
// describes it (loadPage) one page at a time, moving each page's encoded
// image to a spill file in work as it is read, so that a long document's
// pages are never in memory together.
func (q *Queue) loadSpilled(ctx context.Context, id string, m *meta, d int, doc *pipeline.Document, work string) ([]*pipeline.PageResult, []error, error) {
	sp, err := pdfa.NewSpool(work) // removed with work
	if err != nil {
		return nil, nil, err
	}
	fails, err := q.pageFailures(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	results := make([]*pipeline.PageResult, len(doc.Pages))
	errs := make([]error, len(doc.Pages))
	for i, pg := range doc.Pages {
		if results[i], errs[i], err = q.loadPage(ctx, id, m, d, pg, fails); err != nil {
			return nil, nil, err
		}
		if results[i] != nil {
			if err := results[i].Spill(sp); err != nil {
				return nil, nil, fmt.Errorf("document %d: %w", d, err)
			}
		}
	}
	return results, errs, nil
}

// storeDocument stores the PDF, text and ALTO of document p, made for the
// batch as m describes it, in the work store, at once: each waits on its
// round trips to the store. Each file the store accepted is kept in the
// worker's cache folder for the package task (keep); one already there and
// different (stored by an earlier delivery of the task) stays the stored
// one, and nothing of it is kept.
func (q *Queue) storeDocument(ctx context.Context, p docPayload, m *meta, out *pipeline.DocumentOutput) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		key := docKey(p.Batch, p.Doc, "pdf")
		sum, err := putFileOnce(gctx, q.stores.Work, key, out.PDFFile)
		q.keep(p.Batch, m, key, sum, func(dst string) error { return os.Rename(out.PDFFile, dst) })
		return err
	})
	for ext, data := range map[string][]byte{"txt": out.Text, "alto.xml": out.ALTO} {
		g.Go(func() error {
			key := docKey(p.Batch, p.Doc, ext)
			sum, err := putDataOnce(gctx, q.stores.Work, key, data)
			q.keep(p.Batch, m, key, sum, func(dst string) error { return writeFileAtomic(dst, data) })
			return err
		})
	}
	return g.Wait()
}

// putFileOnce stores the file at name under key unless the key exists. It
// returns the file's SHA-256 when the store holds it under key now, empty
// when a different object was there already (and is kept) or on error.
func putFileOnce(ctx context.Context, s storage.Store, key, name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	return putSum(ctx, s, key, f, size, hex.EncodeToString(h.Sum(nil)))
}

// putDataOnce is putFileOnce for data in memory.
func putDataOnce(ctx context.Context, s storage.Store, key string, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	return putSum(ctx, s, key, bytes.NewReader(data), int64(len(data)), hex.EncodeToString(sum[:]))
}

// putSum stores r, of size bytes and SHA-256 sum, under key and returns sum
// when the store holds it there now: it checked the content against sum, or
// found an equal object. A different object already there is kept; sum is
// empty then, and it is not an error.
func putSum(ctx context.Context, s storage.Store, key string, r io.Reader, size int64, sum string) (string, error) {
	_, err := s.Put(ctx, key, r, size, storage.PutOptions{SHA256: sum})
	if errors.Is(err, storage.ErrExists) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return sum, nil
}

// finishDoc records the status of a document that finished (pending to
// status, as the transition table allows). Only the first status recorded
// counts: a later delivery of the task, or its failure, changes nothing.
func (q *Queue) finishDoc(ctx context.Context, p docPayload, status state.DocStatus) error {
	if err := state.CheckDoc(state.DocPending, status.State); err != nil {
		return fmt.Errorf("document %d: %w", p.Doc, err)
	}
	return q.rdb.HSetNX(ctx, keyDocs(p.Batch), strconv.Itoa(p.Doc), status).Err()
}

// docsDone enqueues the package task when every document of the batch has
// finished, or with handOff runs it here (see handOff).
func (q *Queue) docsDone(ctx context.Context, id string, handOff bool) error {
	n, err := q.rdb.HGet(ctx, keyBatch(id), "documents").Int()
	if err != nil {
		return fmt.Errorf("batch %s: %w", id, err)
	}
	done, err := q.rdb.HLen(ctx, keyDocs(id)).Result()
	if err != nil {
		return fmt.Errorf("batch %s: %w", id, err)
	}
	if int(done) < n {
		return nil
	}
	round, err := q.round(ctx, id)
	if err != nil {
		return err
	}
	if handOff {
		return q.handOff(ctx, TypePackage, batchPayload{id}, packageTaskID(id, round), q.handlePackage)
	}
	return q.enqueue(ctx, TypePackage, batchPayload{id}, packageTaskID(id, round))
}
