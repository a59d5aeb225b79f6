package ocr

import (
	"context"
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
