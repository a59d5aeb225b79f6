//go:build explore

package ocr

import (
	"context"
	"image/png"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestExploreRec(t *testing.T) {
	os.Setenv("OMP_THREAD_LIMIT", "1")
	samples, imgs := loadSamples(t)
	e, err := NewEngine(Options{Variables: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	for _, s := range samples {
		up := rotateGray(restoreOrientation(imgs[s.Name], s.RotationDeg), -s.SkewDeg)
		if os.Getenv("WRITE") != "" {
			f, _ := os.Create("/tmp/ocrwork/" + s.Name + ".up.png")
			png.Encode(f, up)
			f.Close()
		}
		var best time.Duration = 1 << 62
		var res *Result
		for range 2 {
			c0 := cpu()
			res, err = e.Recognize(ctx, up)
			best = min(best, cpu()-c0)
		}
		t.Logf("%s recognize %v words %d mean %.1f CER %.4f", s.Name, best, len(res.Words), res.MeanConfidence, cer(res.Text(), s.GT))
	}
}

func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
