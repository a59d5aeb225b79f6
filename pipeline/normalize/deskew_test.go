package normalize

import (
	"slices"
	"testing"
)

// TestDeskewPixelSizes checks that the deskew written out for 1 and 4 bytes a pixel gives the
// samples of the general loop (used here for 3 bytes a pixel) on every channel.
func TestDeskewPixelSizes(t *testing.T) {
	const w, h = 53, 41
	src := randomRGBA(w, h, 9)
	rgb, gray := make([]uint8, 3*w*h), make([]uint8, w*h)
	for i := range w * h {
		copy(rgb[3*i:3*i+3], src.Pix[4*i:4*i+3])
		gray[i] = src.Pix[4*i]
	}
	for _, deg := range []float64{2.7, -1.3, 0.2} {
		out4, out3, out1 := make([]uint8, 4*w*h), make([]uint8, 3*w*h), make([]uint8, w*h)
		deskew(out4, 4*w, src.Pix, src.Stride, w, h, 4, []uint8{250, 240, 230, 255}, deg)
		deskew(out3, 3*w, rgb, 3*w, w, h, 3, []uint8{250, 240, 230}, deg)
		deskew(out1, w, gray, w, w, h, 1, []uint8{250}, deg)
		for i := range w * h {
			if !slices.Equal(out4[4*i:4*i+3], out3[3*i:3*i+3]) || out1[i] != out3[3*i] {
				t.Fatalf("%v°, pixel %d: 4 bytes %v, 1 byte %v, general loop %v", deg, i, out4[4*i:4*i+4], out1[i], out3[3*i:3*i+3])
			}
		}
	}
}
