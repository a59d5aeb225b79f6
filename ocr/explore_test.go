//go:build explore

package ocr

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestExplore(t *testing.T) {
	os.Setenv("OMP_THREAD_LIMIT", "1")
	samples, imgs := loadSamples(t)
	e, err := NewEngine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	for _, s := range samples {
		img := imgs[s.Name]
		g := ToGray(img)
		t0 := time.Now()
		o, err := e.DetectOrientation(ctx, g)
		t.Logf("%s: truth rot %d skew %.2f; osd %+v err %v in %v", s.Name, s.RotationDeg, s.SkewDeg, o, err, time.Since(t0))
		up := ToGray(restoreOrientation(g, s.RotationDeg))
		t0 = time.Now()
		sk, err := DetectSkew(up)
		t.Logf("  skew %+v err %v in %v", sk, err, time.Since(t0))
		st := rotateGray(up, -s.SkewDeg)
		t0 = time.Now()
		res, err := e.Recognize(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("  recognize %v words %d mean %.1f CER %.4f", time.Since(t0), len(res.Words), res.MeanConfidence, cer(res.Text(), s.GT))
		if os.Getenv("SHOWTEXT") != "" {
			t.Log(res.Text())
		}
	}
}
