package ocr

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Pool holds up to n Engines, one per worker.
//
// A Pool from NewPool starts Engines on demand, so a Pool that is never busy keeps only one in
// memory; one from StartPool starts all of them at once.
// All methods are safe for concurrent use.
type Pool struct {
	opts  Options
	slots chan struct{} // one token per Engine handed out by Get
	osd   *osdAPI       // the orientation detection instance every Engine of the Pool shares

	mu     sync.Mutex
	idle   []*Engine
	closed bool
}

// NewPool returns a Pool of at most n Engines configured by opts. It starts one Engine at
// once, so that bad options are reported here.
func NewPool(n int, opts Options) (*Pool, error) {
	return startPool("new pool", n, 1, opts)
}

// StartPool returns a Pool of n Engines configured by opts, all started at once, in parallel:
// for a run that keeps n workers busy from its start, starting them one after the other (as
// NewPool and Get do) leaves cores idle while the first Engine loads its models.
func StartPool(n int, opts Options) (*Pool, error) {
	return startPool("start pool", n, n, opts)
}

// startPool returns a Pool of at most n Engines configured by opts, with started of them
// started at once, in parallel; op names the caller in errors.
func startPool(op string, n, started int, opts Options) (*Pool, error) {
	if n < 1 {
		return nil, fmt.Errorf("ocr: %s: size %d, want at least 1", op, n)
	}
	// Tesseract runs with whichever of the languages it could load: refuse
	// a missing one here rather than OCR every page without it.
	if err := CheckLanguages(opts.Languages, opts.TessdataDir); err != nil {
		return nil, fmt.Errorf("ocr: %s: %w", op, err)
	}
	p := &Pool{opts: opts, slots: make(chan struct{}, n)}
	engines := make([]*Engine, started)
	errs := make([]error, started+1)
	var wg sync.WaitGroup
	for i := range engines {
		wg.Go(func() { engines[i], errs[i] = newEngine(opts) })
	}
	wg.Go(func() {
		if p.osd, errs[started] = newOSD(opts.TessdataDir); errs[started] != nil {
			errs[started] = fmt.Errorf("ocr: new engine: %w", errs[started])
		}
	})
	wg.Wait()
	for _, e := range engines {
		if e != nil {
			if p.osd != nil {
				e.osd = p.osd.acquire()
			}
			p.idle = append(p.idle, e)
		}
	}
	if err := errors.Join(errs...); err != nil {
		p.Close()
		return nil, fmt.Errorf("ocr: %s: %w", op, err)
	}
	return p, nil
}

// Get returns a free Engine, starting a new one if fewer than n exist.
// It blocks until one is free or ctx is done.
// The caller must give the Engine back with Put and must not Close it.
func (p *Pool) Get(ctx context.Context) (*Engine, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("ocr: pool get: %w", ctx.Err())
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.slots
		return nil, errors.New("ocr: pool get: pool is closed")
	}
	if n := len(p.idle); n > 0 {
		e := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return e, nil
	}
	osd := p.osd.acquire() // taken while the Pool is open: Close may come before newEngine returns
	p.mu.Unlock()
	e, err := newEngine(p.opts)
	if err != nil {
		osd.release()
		<-p.slots
		return nil, fmt.Errorf("ocr: pool get: %w", err)
	}
	e.osd = osd
	return e, nil
}

// Put gives back an Engine returned by Get. After Close, Put closes the Engine.
func (p *Pool) Put(e *Engine) {
	if e == nil {
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		e.Close()
	} else {
		p.idle = append(p.idle, e)
		p.mu.Unlock()
	}
	<-p.slots
}

// Close closes the idle Engines; Engines still out are closed when they are Put back.
// Get fails after Close.
func (p *Pool) Close() error {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.closed = true
	p.mu.Unlock()
	var errs []error
	for _, e := range idle {
		errs = append(errs, e.Close())
	}
	p.mu.Lock()
	osd := p.osd
	p.osd = nil
	p.mu.Unlock()
	if osd != nil {
		osd.release() // the Pool's own hold: Engines still out keep the instance
	}
	return errors.Join(errs...)
}
