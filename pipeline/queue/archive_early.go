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

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/storage"
)

// earlyPutsAtOnce is how many objects are stored at once while the package
// is still assembled: the downloads of the documents' results share the store.
const earlyPutsAtOnce = 8

// earlyPuts stores objects of a package in the archive while the rest of
// it is still assembled: the originals, whose keys and content are known
// once they are fetched, and the documents' stored PDF, text and ALTO as
// they are taken for the package. archive then waits for them and stores the
// rest. A nil *earlyPuts stores nothing early.
type earlyPuts struct {
	ctx    context.Context
	cancel context.CancelFunc
	store  storage.Store
	sem    chan struct{} // a slot per put in progress
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
	ctx, cancel := context.WithCancel(ctx)
	e := &earlyPuts{ctx: ctx, cancel: cancel, store: q.stores.Archive, sem: make(chan struct{}, earlyPutsAtOnce), stored: map[string]string{}}
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
			})
		}
	}()
	return e
}

// putData stores data, whose SHA-256 is sum, under key.
func (e *earlyPuts) putData(key, sum string, data []byte) {
	e.put(key, sum, func() (io.ReadCloser, int64, error) {
		return io.NopCloser(bytes.NewReader(data)), int64(len(data)), nil
	})
}

// put stores the content open returns under key, checked by the store
// against sum, once a slot is free: it waits for one, so that no more than
// earlyPutsAtOnce bodies are held, then stores in the background.
func (e *earlyPuts) put(key, sum string, open func() (io.ReadCloser, int64, error)) {
	if e == nil {
		return
	}
	select {
	case e.sem <- struct{}{}:
	case <-e.ctx.Done():
		return
	}
	e.wg.Add(1)
	go func() {
		defer func() { <-e.sem; e.wg.Done() }()
		r, size, err := open()
		if err == nil {
			_, err = e.store.Put(e.ctx, key, r, size, storage.PutOptions{SHA256: sum})
			r.Close()
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		if err != nil && e.err == nil {
			e.err = err
			e.cancel()
		}
		if err == nil {
			e.stored[key] = sum
		}
	}()
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
