package pdfa

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// Spool holds encoded page images of one document in a temporary file, so
// that the pages of a long document need not stay in memory until its PDF is
// written: Put moves a page's bytes to the file and Write reads them back one
// page at a time. Put and Close are called from one goroutine; the readers
// Put returns may be read from any (the file is read with ReadAt). Close
// removes the file; the readers are then unusable.
type Spool struct {
	mu    sync.Mutex
	f     *os.File
	size  int64
	pages int
}

// NewSpool creates a spool file in dir: the run's work folder, never a
// folder of originals.
func NewSpool(dir string) (*Spool, error) {
	f, err := os.CreateTemp(dir, "pages-*.spool")
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	return &Spool{f: f}, nil
}

// Put appends data to the spool and returns a reader of those bytes.
func (s *Spool) Put(data []byte) (*io.SectionReader, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil, fmt.Errorf("spool: closed")
	}
	if _, err := s.f.WriteAt(data, s.size); err != nil {
		return nil, fmt.Errorf("spool %s: %w", s.f.Name(), err)
	}
	r := io.NewSectionReader(s.f, s.size, int64(len(data)))
	s.size += int64(len(data))
	s.pages++
	return r, nil
}

// Spill moves page p's encoded image into the spool: p.Spilled is set and
// p.Image.Data released. A page already spilled, or without image, is left as it is.
func (s *Spool) Spill(p *Page) error {
	if p.Spilled != nil || len(p.Image.Data) == 0 {
		return nil
	}
	r, err := s.Put(p.Image.Data)
	if err != nil {
		return err
	}
	p.Spilled, p.Image.Data = r, nil
	return nil
}

// Pages returns how many images were put in the spool, and their bytes.
func (s *Spool) Pages() (n int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pages, s.size
}

// Close closes and removes the spool file.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	name := s.f.Name()
	err := s.f.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	s.f = nil
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}
