package ocr

import (
	"context"
	"sync"
	"testing"
)

// TestStartPool checks that StartPool has every Engine started when it returns, and that Get
// hands out those Engines rather than starting new ones.
func TestStartPool(t *testing.T) {
	for _, c := range []struct {
		n    int
		opts Options
	}{
		{0, Options{}},
		{2, Options{Languages: "xyz"}},
		{2, Options{Variables: map[string]string{"no_such_variable": "1"}}},
	} {
		if p, err := StartPool(c.n, c.opts); err == nil {
			p.Close()
			t.Errorf("StartPool(%d, %+v) succeeded", c.n, c.opts)
		}
	}
	p, err := StartPool(2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if len(p.idle) != 2 || p.idle[0] == p.idle[1] {
		t.Fatalf("StartPool(2) started %d engines (%p), want 2 distinct", len(p.idle), p.idle)
	}
	started := map[*Engine]bool{p.idle[0]: true, p.idle[1]: true}
	ctx := context.Background()
	for range 2 {
		e, err := p.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !started[e] {
			t.Errorf("Get returned %p, not one of the engines StartPool started", e)
		}
		delete(started, e)
		defer p.Put(e)
	}
}

// TestPoolSharesOrientation checks that the Engines of a Pool share one orientation detection
// instance, that two of them detect at once correctly, and that the instance is freed only
// when the Pool is closed and the last Engine out comes back.
func TestPoolSharesOrientation(t *testing.T) {
	samples, images := loadSamples(t)
	p, err := StartPool(2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e1, e2 := getTwo(t, p)
	if e1.osd == nil || e1.osd != e2.osd {
		t.Fatalf("engines of one pool have orientation instances %p and %p, want one shared", e1.osd, e2.osd)
	}
	s := samples[0]
	up := ToGray(restoreOrientation(images[s.Name], s.RotationDeg))
	var wg sync.WaitGroup
	for i, e := range []*Engine{e1, e2} {
		deg := 90 * (i + 1)
		wg.Go(func() {
			o, err := e.DetectOrientation(ctx, turn(up, deg))
			if err != nil || o.Degrees != deg {
				t.Errorf("%s turned %d° on engine %d: %+v, %v", s.Name, deg, i+1, o, err)
			}
		})
	}
	wg.Wait()
	p.Put(e1)
	osd := e2.osd
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if osd.h == nil {
		t.Fatal("Close freed the orientation instance while an engine was still out")
	}
	if _, err := e2.DetectOrientation(ctx, up); err != nil {
		t.Errorf("engine out at Close: %v", err)
	}
	p.Put(e2)
	if osd.h != nil {
		t.Error("the orientation instance outlived the pool and its engines")
	}
}

// getTwo takes two Engines from p.
func getTwo(t *testing.T, p *Pool) (e1, e2 *Engine) {
	t.Helper()
	e1, err := p.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if e2, err = p.Get(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e1, e2
}
