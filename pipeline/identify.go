package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// Originals hashes each original file once, however many pages it has, for the pages of one
// run. A multi-page TIFF's pages all take the identity computed for its first page instead of
// each reading and hashing the whole file again. The zero value is ready to use; it is safe for
// concurrent use.
type Originals struct {
	mu    sync.Mutex
	files map[string]*originalOnce
}

type originalOnce struct {
	once sync.Once
	o    Original
	err  error
}

// Identify returns the identity (SHA-256 and size) of pg's file in batchDir, hashing the file
// the first time one of its pages asks. A nil Originals hashes the file on every call. The file
// is read as a stream, never held in memory. A failure is a *PageError.
func (s *Originals) Identify(batchDir string, pg *Page) (Original, error) {
	if s == nil {
		return hashOriginal(batchDir, pg)
	}
	s.mu.Lock()
	if s.files == nil {
		s.files = make(map[string]*originalOnce)
	}
	e := s.files[pg.File]
	if e == nil {
		e = &originalOnce{}
		s.files[pg.File] = e
	}
	s.mu.Unlock()
	e.once.Do(func() { e.o, e.err = hashOriginal(batchDir, pg) })
	if e.err != nil {
		// Name this page, not the one that hashed the file.
		return Original{}, &PageError{pg.File, pg.FilePage, StageDecode, e.err.(*PageError).Err}
	}
	return e.o, nil
}

// Known records o as the identity of its file, found by the caller (a queue worker that
// checked its copy against the SHA-256 recorded at submit), so that no page hashes it again.
func (s *Originals) Known(o Original) {
	e := &originalOnce{o: o}
	e.once.Do(func() {})
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.files == nil {
		s.files = make(map[string]*originalOnce)
	}
	s.files[o.File] = e
}

// hashOriginal streams pg's file through SHA-256.
func hashOriginal(batchDir string, pg *Page) (Original, error) {
	f, err := os.Open(filepath.Join(batchDir, filepath.FromSlash(pg.File)))
	if err != nil {
		return Original{}, &PageError{pg.File, pg.FilePage, StageDecode, err}
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return Original{}, &PageError{pg.File, pg.FilePage, StageDecode, err}
	}
	return Original{File: pg.File, SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}
