package queue

import (
	"context"
	"errors"
	"path"
	"path/filepath"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/storage"
)

// earlyPuts are how many originals are stored at once while the package is
// still assembled: the downloads of the documents' results share the store.
const earlyPuts = 4

// earlyOriginals stores the originals of a package in the archive while the
// rest of it is still assembled: they are most of its bytes, and their
// content and keys are known from the start. archive then stores the rest.
type earlyOriginals struct {
	cancel context.CancelFunc
	g      *errgroup.Group
	fed    chan struct{} // closed once every original is handed to g
	mu     sync.Mutex
	stored map[string]string // key -> SHA-256 of the object stored under it
}

// archiveOriginals starts storing the originals of batch id, fetched into
// dir (by file, with the SHA-256 they were checked against), under the keys
// they will have in its package, and returns what archive waits for. It
// does nothing (nil) when the archive holds anything under id/ already (a
// package this one replaces, or another delivery's: archive sorts those
// out) or when packages are locked: only a complete package is, and whether
// this one is will be known once it is assembled. A failure to store one is
// archive's error; the task is retried then.
func (q *Queue) archiveOriginals(ctx context.Context, id, dir string, originals map[string]pipeline.Original) *earlyOriginals {
	if q.opts.Retention != nil || len(originals) == 0 {
		return nil
	}
	errFound := errors.New("found")
	if err := q.stores.Archive.List(ctx, id+"/", func(storage.ObjectInfo) error { return errFound }); err != nil {
		return nil // errFound, or a listing that failed: archive lists again
	}
	ctx, cancel := context.WithCancel(ctx)
	e := &earlyOriginals{cancel: cancel, fed: make(chan struct{}), stored: map[string]string{}}
	e.g, ctx = errgroup.WithContext(ctx)
	e.g.SetLimit(earlyPuts)
	go func() { // SetLimit makes Go wait: the caller goes on assembling meanwhile
		defer close(e.fed)
		for _, o := range originals {
			if ctx.Err() != nil {
				return
			}
			key := path.Join(id, bag.PayloadDir, "originals", o.File)
			e.g.Go(func() error {
				if err := putFile(ctx, q.stores.Archive, key, filepath.Join(dir, filepath.FromSlash(o.File)), o.SHA256, nil); err != nil {
					return err
				}
				e.mu.Lock()
				e.stored[key] = o.SHA256
				e.mu.Unlock()
				return nil
			})
		}
	}()
	return e
}

// wait waits for the originals being stored and returns the SHA-256 of each
// stored, by key. A nil e stored nothing.
func (e *earlyOriginals) wait() (map[string]string, error) {
	if e == nil {
		return nil, nil
	}
	<-e.fed
	err := e.g.Wait()
	e.cancel()
	return e.stored, err
}

// stop cancels what is still being stored and waits for it: the package
// task failed.
func (e *earlyOriginals) stop() {
	if e != nil {
		e.cancel()
		e.wait()
	}
}
