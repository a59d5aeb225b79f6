package pdfa

import (
	"image"
	"image/draw"
	"syscall"
	"testing"
	"time"
)

// BenchmarkEncodeSamples encodes the sample pages as the pipeline hands them over (colour as
// *image.NRGBA, grey as *image.Gray) at the default fidelity target, and reports the CPU time a
// page takes (user and system, the process's; run it alone).
func BenchmarkEncodeSamples(b *testing.B) {
	var pages []image.Image
	for _, n := range []string{"bb-giao-nhan-p01.jpg", "cv-giao-nop-p01.png", "qd-chinh-ly-p01.jpg", "tt-so-hoa-p01.tif"} {
		src := loadImage(b, n)
		if g, ok := src.(*image.Gray); ok {
			pages = append(pages, g)
			continue
		}
		c := image.NewNRGBA(src.Bounds())
		draw.Draw(c, c.Rect, src, src.Bounds().Min, draw.Src)
		pages = append(pages, c)
	}
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b.ResetTimer()
	c0 := cpu()
	for range b.N {
		for _, p := range pages {
			if _, err := EncodeImage(p, EncodeOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(cpu()-c0)/float64(time.Millisecond)/float64(b.N*len(pages)), "cpu-ms/page")
}
