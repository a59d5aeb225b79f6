package scan

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"testing"
)

// TestJPEGPlanesMatchImageJPEG decodes the sample scans with libjpeg-turbo and with
// image/jpeg: the same image type, size and subsampling, and samples that differ by at most
// one level on at most 2% of them (the two inverse transforms round differently).
func TestJPEGPlanesMatchImageJPEG(t *testing.T) {
	for _, name := range []string{"bb-giao-nhan-p01.jpg", "qd-chinh-ly-p01.jpg"} {
		data, err := os.ReadFile("../../testdata/samples/" + name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeJPEGPlanes(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		g, ok1 := got.(*image.YCbCr)
		w, ok2 := want.(*image.YCbCr)
		if !ok1 || !ok2 {
			t.Fatalf("%s: %T, image/jpeg gives %T", name, got, want)
		}
		if g.Rect != w.Rect || g.SubsampleRatio != w.SubsampleRatio {
			t.Fatalf("%s: %v %v, image/jpeg %v %v", name, g.Rect, g.SubsampleRatio, w.Rect, w.SubsampleRatio)
		}
		hist := [3]map[int]int{{}, {}, {}}
		add := func(c int, a, b uint8) {
			d := int(a) - int(b)
			hist[c][max(d, -d)]++
		}
		for y := g.Rect.Min.Y; y < g.Rect.Max.Y; y++ {
			for x := g.Rect.Min.X; x < g.Rect.Max.X; x++ {
				add(0, g.Y[g.YOffset(x, y)], w.Y[w.YOffset(x, y)])
				add(1, g.Cb[g.COffset(x, y)], w.Cb[w.COffset(x, y)])
				add(2, g.Cr[g.COffset(x, y)], w.Cr[w.COffset(x, y)])
			}
		}
		t.Logf("%s: |difference| histograms Y %v Cb %v Cr %v", name, hist[0], hist[1], hist[2])
		for c, h := range hist {
			n, off := 0, 0
			for d, k := range h {
				n += k
				if d > 1 {
					t.Errorf("%s plane %d: %d samples differ by %d from image/jpeg's", name, c, k, d)
				}
				if d > 0 {
					off += k
				}
			}
			if off*50 > n {
				t.Errorf("%s plane %d: %d of %d samples differ from image/jpeg's (more than 2%%)", name, c, off, n)
			}
		}
	}
}
