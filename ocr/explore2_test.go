//go:build explore

package ocr

import (
	"context"
	"image"
	"testing"
	"time"
)

func TestExploreOSD(t *testing.T) {
	samples, imgs := loadSamples(t)
	e, err := NewEngine(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	for _, frac := range []float64{1} {
		var tot time.Duration
		minConf := 1e9
		wrong := 0
		for _, s := range samples {
			up := restoreOrientation(imgs[s.Name], s.RotationDeg)
			for _, rot := range []int{0, 90, 180, 270} {
				g := ToGray(turn(up, rot))
				b := g.Bounds()
				w, h := int(float64(b.Dx())*frac), int(float64(b.Dy())*frac)
				c := image.Rect(0, 0, w, h).Add(image.Pt((b.Dx()-w)/2, (b.Dy()-h)/2))
				in := image.Image(g.SubImage(c))
				if false {
					in = halve(in.(*image.Gray))
				}
				t0 := cpu()
				o, err := e.DetectOrientation(ctx, in)
				d := cpu() - t0
				tot += d
				if err != nil || o.Degrees != rot {
					wrong++
				}
				minConf = min(minConf, o.Confidence)
				_ = time.Now
				if true { t.Logf("frac %.1f %s rot %d: %+v in %v", frac, s.Name, rot, o, d) }
			}
		}
		t.Logf("frac %.1f: wrong %d minconf %.2f mean time %v", frac, wrong, minConf, tot/16)
	}
}
