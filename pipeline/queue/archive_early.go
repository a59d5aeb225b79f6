package queue

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"sync"

	"golang.org/x/sync/semaphore"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/storage"
)

// earlyPutsAtOnce is how many objects are stored at once while the package
// is still assembled: the downloads of the documents' results share the store.
const earlyPutsAtOnce = 8

// earlyPutBytes bounds the bytes of the documents' files held in memory
// for storing early, waiting for a slot or being stored: below it, the
// package goes on assembling while they are stored; above it, taking a
// document's files waits until earlier ones are stored.
const earlyPutBytes = 64 << 20

// earlyPuts stores objects of a package in the archive while the rest of
// it is still assembled: the originals, whose keys and content are known
// once they are fetched, and the documents' stored PDF, text and ALTO as
// they are taken for the package. archive then waits for them and stores the
// rest. A nil *earlyPuts stores nothing early.
type earlyPuts struct {
	ctx    context.Context
	cancel context.CancelFunc
	store  storage.Store
	sem    chan struct{}       // a slot per put in progress
	held   *semaphore.Weighted // bytes held in memory for puts (earlyPutBytes)
	wg     sync.WaitGroup
	mu     sync.Mutex
	stored map[string]string // key -> SHA-256 of the object stored under it
	err    error             // the first failure
}

// archiveEarly starts storing the originals of batch id, fetched into dir
// (by file, with the SHA-256 they were checked against), under the keys they
// will have in its package, and returns what the documents' files are
// stored through too and archive waits for. It stores nothing (nil) when the
// archive holds anything under id/ already (a package this one replaces, or
// another delivery's: archive sorts those out) or when packages are locked:
// only a complete package is, and whether this one is will be known once it
// is assembled. A failure to store one is archive's error; the task is
// retried then.
func (q *Queue) archiveEarly(ctx context.Context, id, dir string, originals map[string]pipeline.Original) *earlyPuts {
	if q.opts.Retention != nil {
		return nil
	}
	errFound := errors.New("found")
	if err := q.stores.Archive.List(ctx, id+"/", func(storage.ObjectInfo) error { return errFound }); err != nil {
		return nil // errFound, or a listing that failed: archive lists again
	}
	e := newEarlyPuts(ctx, q.stores.Archive)
	e.wg.Add(1)
	go func() { // the caller goes on assembling meanwhile
		defer e.wg.Done()
		for _, o := range originals {
			name := filepath.Join(dir, filepath.FromSlash(o.File))
			e.put(path.Join(id, bag.PayloadDir, "originals", o.File), o.SHA256, func() (io.ReadCloser, int64, error) {
				f, err := os.Open(name)
				if err != nil {
					return nil, 0, err
				}
				fi, err := f.Stat()
				if err != nil {
					f.Close()
					return nil, 0, err
				}
				return f, fi.Size(), nil
			}, nil)
		}
	}()
	return e
}

// newEarlyPuts returns an earlyPuts storing into store, until ctx is done
// or stop is called.
func newEarlyPuts(ctx context.Context, store storage.Store) *earlyPuts {
	ctx, cancel := context.WithCancel(ctx)
	return &earlyPuts{ctx: ctx, cancel: cancel, store: store, sem: make(chan struct{}, earlyPutsAtOnce),
		held: semaphore.NewWeighted(earlyPutBytes), stored: map[string]string{}}
}

// putData stores data, whose SHA-256 is sum, under key. It returns once
// data is counted within earlyPutBytes (at once, unless that many bytes are
// held already) and stores it in the background.
func (e *earlyPuts) putData(key, sum string, data []byte) {
	if e == nil {
		return
	}
	n := min(int64(len(data)), earlyPutBytes) // a larger body waits for all the bytes
	if e.held.Acquire(e.ctx, n) != nil {
		return // the package task stopped
	}
	e.put(key, sum, func() (io.ReadCloser, int64, error) {
		return io.NopCloser(bytes.NewReader(data)), int64(len(data)), nil
	}, func() { e.held.Release(n) })
}

// put stores the content open returns under key, checked by the store
// against sum, in the background, once one of the earlyPutsAtOnce slots is
// free, and then calls done (if not nil).
func (e *earlyPuts) put(key, sum string, open func() (io.ReadCloser, int64, error), done func()) {
	if e == nil {
		return
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		if done != nil {
			defer done()
		}
		select {
		case e.sem <- struct{}{}:
			defer func() { <-e.sem }()
		case <-e.ctx.Done():
			e.fail(e.ctx.Err())
			return
		}
		r, size, err := open()
		if err == nil {
			// archiveEarly found nothing under the batch's prefix: the key is
			// absent, and a large object goes without a look first.
			_, err = e.store.Put(e.ctx, key, r, size, storage.PutOptions{SHA256: sum, Absent: true})
			r.Close()
		}
		if err != nil {
			e.fail(err)
			return
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		e.stored[key] = sum
	}()
}

// fail records err as the first failure, if none was, and stops the other puts.
func (e *earlyPuts) fail(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err == nil {
		e.err = err
		e.cancel()
	}
}

// wait waits for what is being stored and returns the SHA-256 of each
// object stored, by key.
func (e *earlyPuts) wait() (map[string]string, error) {
	if e == nil {
		return nil, nil
	}
	e.wg.Wait()
	e.cancel()
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stored, e.err
}

// stop cancels what is still being stored and waits for it: the package
// task failed.
func (e *earlyPuts) stop() {
	if e != nil {
		e.cancel()
		e.wait()
	}
}
