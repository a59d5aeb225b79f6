//go:build explore

package ocr

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"
)

func TestExploreOSDLoop(t *testing.T) {
	samples, imgs := loadSamples(t)
	e, err := NewEngine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	n, _ := strconv.Atoi(os.Getenv("N"))
	g := ToGray(imgs[samples[2].Name])
	if os.Getenv("HALF") != "" {
		g = halve(g)
	}
	t0 := cpu()
	for range n {
		e.DetectOrientation(context.Background(), g)
	}
	t.Logf("%v per call", (cpu()-t0)/time.Duration(max(1, n)))
}
