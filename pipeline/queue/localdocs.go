package queue

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// localDocs remembers the document files (PDF, text, ALTO) this worker
// stored in the work store and kept in its cache folder, so that the package
// task, when it runs on the same worker, reads them there instead of
// downloading them again. A file is remembered with the SHA-256 the work
// store accepted for its key (a put that found a different object there
// keeps nothing) and with the batch version it was made at: Replace deletes
// the results it makes anew and moves the batch to a new version, so a file
// of an earlier version is never taken for the object stored now. The
// package task hashes what it reads and uses it only when it matches;
// anything else (a worker that restarted, another worker's documents, a file
// changed on disk) is downloaded as before.
type localDocs struct {
	mu    sync.Mutex
	files map[string]localDoc // by work store key
}

type localDoc struct {
	path    string
	sum     string
	version int
}

// docCacheDir is where the worker keeps the document files of batch id:
// beside the batch's local copy, never among its originals.
func (q *Queue) docCacheDir(id string) string {
	return filepath.Join(q.opts.CacheDir, ".docs", id)
}

// keepDocument keeps the content of work store key (document d of batch
// id, made at batch version) that the store accepted with SHA-256 sum, in
// the worker's cache folder: write puts it at the path it is given, whole or
// not at all. Keeping is only a shortcut for the package task: a failure is
// logged and leaves the file to be downloaded.
func (q *Queue) keepDocument(id string, version, d int, key, sum string, write func(dst string) error) {
	dst := filepath.Join(q.docCacheDir(id), fmt.Sprintf("v%d", version), fmt.Sprint(d), path.Base(key))
	err := os.MkdirAll(filepath.Dir(dst), 0o700)
	if err == nil {
		err = write(dst)
	}
	if err != nil {
		q.opts.Logger.Warn("keeping a document file for the package", "key", key, "error", err)
		return
	}
	q.docs.mu.Lock()
	defer q.docs.mu.Unlock()
	if q.docs.files == nil {
		q.docs.files = map[string]localDoc{}
	}
	q.docs.files[key] = localDoc{path: dst, sum: sum, version: version}
}

// localDocument returns the content of work store key as this worker kept
// it (keepDocument) at batch version, when it has it and it still has the
// SHA-256 the store accepted.
func (q *Queue) localDocument(key string, version int) ([]byte, bool) {
	q.docs.mu.Lock()
	c, ok := q.docs.files[key]
	q.docs.mu.Unlock()
	if !ok || c.version != version {
		return nil, false
	}
	data, err := os.ReadFile(c.path)
	if err != nil {
		return nil, false
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != c.sum {
		q.opts.Logger.Warn("a kept document file changed on disk: downloading it", "key", key, "path", c.path)
		return nil, false
	}
	return data, true
}

// forgetDocuments removes the document files kept for batch id.
func (q *Queue) forgetDocuments(id string) {
	os.RemoveAll(q.docCacheDir(id))
	q.docs.mu.Lock()
	defer q.docs.mu.Unlock()
	for key := range q.docs.files {
		if strings.HasPrefix(key, id+"/") {
			delete(q.docs.files, key)
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
