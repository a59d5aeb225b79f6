package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// keptObjects remembers the objects this worker stored in the work store
// and kept in its cache folder (page results, document files), so that a
// later task of the batch on this worker (the document task reading its
// pages, the package task) reads them there instead of downloading them
// again (workObject). An object is remembered with the SHA-256 the work
// store accepted for its key (a put that found a different object there
// keeps nothing) and with the batch it was made for, at its version and
// submission (batchCacheKey): Replace deletes the results it makes anew and
// moves the batch to a new version, and another batch submitted under the
// id of an abandoned submit has another submission, so an object kept
// earlier is never taken for the one stored now. A reader hashes what it
// reads and uses it only when it matches; anything else (a worker that
// restarted, another worker's objects, a file changed on disk) is
// downloaded as before. Kept objects are files, not memory; they are
// removed with the batch's local copy once it is packaged here (forgetKept).
type keptObjects struct {
	mu    sync.Mutex
	files map[string]keptFile // by work store key
}

type keptFile struct {
	path string
	sum  string
	at   string // batchCacheKey of the batch it was stored for
}

// keptDir is where the worker keeps the work store objects of batch id:
// beside the batch's local copy, never among its originals.
func (q *Queue) keptDir(id string) string {
	return filepath.Join(q.opts.CacheDir, ".kept", id)
}

// keep keeps the content of work store key, stored for batch id as m
// describes it, in the worker's cache folder, when the store accepted it
// with SHA-256 sum; with sum empty (the put found a different object there,
// which stays the stored one, or failed) nothing is kept. write puts the
// content at the path it is given, whole or not at all. Keeping is only a
// shortcut for later tasks: a failure is logged and leaves the object to be
// downloaded.
func (q *Queue) keep(id string, m *meta, key, sum string, write func(dst string) error) {
	if sum == "" {
		return
	}
	dst := filepath.Join(q.keptDir(id), fmt.Sprintf("v%d", m.version), filepath.FromSlash(strings.TrimPrefix(key, id+"/")))
	err := os.MkdirAll(filepath.Dir(dst), 0o700)
	if err == nil {
		err = write(dst)
	}
	if err != nil {
		q.opts.Logger.Warn("keeping a work store object on this worker", "key", key, "error", err)
		return
	}
	q.kept.mu.Lock()
	defer q.kept.mu.Unlock()
	if q.kept.files == nil {
		q.kept.files = map[string]keptFile{}
	}
	q.kept.files[key] = keptFile{path: dst, sum: sum, at: batchCacheKey(id, m.version, m.sub)}
}

// keptObject returns the content of work store key of batch id as this
// worker kept it (keep) for the batch as m describes it, when it has it and
// it still has the SHA-256 the store accepted.
func (q *Queue) keptObject(id string, m *meta, key string) ([]byte, bool) {
	q.kept.mu.Lock()
	c, ok := q.kept.files[key]
	q.kept.mu.Unlock()
	if !ok || c.at != batchCacheKey(id, m.version, m.sub) {
		return nil, false
	}
	data, err := os.ReadFile(c.path)
	if err != nil {
		return nil, false
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != c.sum {
		q.opts.Logger.Warn("a kept work store object changed on disk: downloading it", "key", key, "path", c.path)
		return nil, false
	}
	return data, true
}

// workObject returns the content of work store key of batch id as m
// describes it: the copy this worker kept (keptObject), or else the stored
// object, downloaded.
func (q *Queue) workObject(ctx context.Context, id string, m *meta, key string) ([]byte, error) {
	if data, ok := q.keptObject(id, m, key); ok {
		return data, nil
	}
	return getAll(ctx, q.stores.Work, key)
}

// forgetKept removes the work store objects kept for batch id.
func (q *Queue) forgetKept(id string) {
	os.RemoveAll(q.keptDir(id))
	q.kept.mu.Lock()
	defer q.kept.mu.Unlock()
	for key := range q.kept.files {
		if strings.HasPrefix(key, id+"/") {
			delete(q.kept.files, key)
		}
	}
}

// writeFileAtomic writes data to a new file at dst, through a temporary file
// in the same folder renamed into place, so that a reader never sees it half
// written.
func writeFileAtomic(dst string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(dst), ".keep-")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), dst); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}
