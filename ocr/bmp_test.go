package ocr

import (
	"bytes"
	"image"
	"math/rand/v2"
	"testing"
)

// TestNRGBABMP checks that the BMP Tesseract reads of a colour page, written straight from its
// NRGBA pixels, is the BMP of its ToGray copy (odd width: padded rows; some transparent pixels).
func TestNRGBABMP(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 1))
	m := image.NewNRGBA(image.Rect(3, 5, 3+37, 5+11))
	for i := range m.Pix {
		m.Pix[i] = uint8(rng.IntN(256))
		if i%4 == 3 && rng.IntN(3) > 0 {
			m.Pix[i] = 0xff
		}
	}
	want := appendBMP(nil, ToGray(m))
	got := appendNRGBABMP([]byte("prefix"), m)
	if !bytes.Equal(got[len("prefix"):], want) {
		t.Fatalf("BMP of %d bytes differs from the gray copy's (%d bytes)", len(got)-len("prefix"), len(want))
	}
}
