package queue

import (
	"os"
	"sync"
	"time"
)

// localCopies remembers the originals this worker has checked against
// their recorded SHA-256 (downloaded and verified, or hashed once), with
// the size and modification time the file had then, so that the next task
// needing the file (every other page of a multi-page original, the package
// task) trusts it after a stat instead of hashing it again. A file whose
// size or time changed since (rewritten by another worker sharing the
// cache folder), or a new version of the original (Replace records another
// SHA-256), is not trusted: it is checked again.
type localCopies struct {
	mu    sync.Mutex
	files map[string]localCopy // by local path
}

type localCopy struct {
	sum   string
	size  int64
	mtime time.Time
}

// checked returns the size of the file at path when it was checked to have
// SHA-256 sum and has not changed since.
func (l *localCopies) checked(path, sum string) (int64, bool) {
	l.mu.Lock()
	c, ok := l.files[path]
	l.mu.Unlock()
	if !ok || c.sum != sum {
		return 0, false
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Size() != c.size || !fi.ModTime().Equal(c.mtime) {
		return 0, false
	}
	return c.size, true
}

// record notes that the file at path was found to have SHA-256 sum.
func (l *localCopies) record(path, sum string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.files == nil {
		l.files = map[string]localCopy{}
	}
	l.files[path] = localCopy{sum: sum, size: fi.Size(), mtime: fi.ModTime()}
	return fi.Size(), nil
}

// forget drops what is remembered of the files under dir (a batch's local
// folder, removed once it is packaged).
func (l *localCopies) forget(dir string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for p := range l.files {
		if len(p) > len(dir) && p[:len(dir)] == dir && os.IsPathSeparator(p[len(dir)]) {
			delete(l.files, p)
		}
	}
}
