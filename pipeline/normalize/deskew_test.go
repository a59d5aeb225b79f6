package normalize

import (
	"fmt"
	"image"
	"image/draw"
	"slices"
	"testing"
)

// TestDeskewPixelSizes checks that the deskew written out for 1 and 4 bytes a pixel gives the
// samples of the general loop (used here for 3 bytes a pixel) on every channel.
func TestDeskewPixelSizes(t *testing.T) {
	const w, h = 53, 41
	in := randomRGBA(w, h, 9)
	rgb, gray := make([]uint8, 3*w*h), make([]uint8, w*h)
	for i := range w * h {
		copy(rgb[3*i:3*i+3], in.Pix[4*i:4*i+3])
		gray[i] = in.Pix[4*i]
	}
	for _, deg := range []float64{2.7, -1.3, 0.2} {
		out4, out3, out1 := make([]uint8, 4*w*h), make([]uint8, 3*w*h), make([]uint8, w*h)
		deskew(out4, 4*w, src{in.Pix, in.Stride, w, h, false}, 4, []uint8{250, 240, 230, 255}, 0, deg)
		deskew(out3, 3*w, src{rgb, 3 * w, w, h, false}, 3, []uint8{250, 240, 230}, 0, deg)
		deskew(out1, w, src{gray, w, w, h, false}, 1, []uint8{250}, 0, deg)
		for i := range w * h {
			if !slices.Equal(out4[4*i:4*i+3], out3[3*i:3*i+3]) || out1[i] != out3[3*i] {
				t.Fatalf("%v°, pixel %d: 4 bytes %v, 1 byte %v, general loop %v", deg, i, out4[4*i:4*i+4], out1[i], out3[3*i:3*i+3])
			}
		}
	}
}

// TestTurnIsRotateThenDeskew checks that Turn's one resampling gives, to the bit, the image
// of a quarter turn followed by a deskew, on gray and colour noise of odd sizes (the
// background estimated from the turned page, the positions and weights of the turned page).
func TestTurnIsRotateThenDeskew(t *testing.T) {
	colour := randomRGBA(53, 41, 3)
	gray := image.NewGray(colour.Rect)
	for i := range gray.Pix {
		gray.Pix[i] = colour.Pix[4*i+1]
	}
	for _, img := range []image.Image{gray, (*image.NRGBA)(colour)} {
		for _, q := range []int{90, 180, 270} {
			for _, deg := range []float64{2.7, -1.3} {
				rot, err := Rotate(img, q)
				if err != nil {
					t.Fatal(err)
				}
				want := Deskew(rot, deg)
				got, err := Turn(img, q, deg)
				if err != nil {
					t.Fatal(err)
				}
				if got.Bounds() != want.Bounds() || fmt.Sprintf("%T", got) != fmt.Sprintf("%T", want) {
					t.Fatalf("%T %d° %v°: %T %v, want %T %v", img, q, deg, got, got.Bounds(), want, want.Bounds())
				}
				if gp, wp := pixOf(got), pixOf(want); !slices.Equal(gp, wp) {
					for i := range gp {
						if gp[i] != wp[i] {
							t.Fatalf("%T %d° %v°: sample %d is %d, rotate then deskew gives %d", img, q, deg, i, gp[i], wp[i])
						}
					}
				}
			}
		}
	}
}

// pixOf returns the pixels of a *image.Gray or *image.NRGBA.
func pixOf(m image.Image) []uint8 {
	switch m := m.(type) {
	case *image.Gray:
		return m.Pix
	case *image.NRGBA:
		return m.Pix
	}
	return nil
}

// TestTurnOpaque checks that a JPEG page (YCbCr, opaque), whose alpha Turn sets rather than
// interpolates, comes out as its NRGBA copy does.
func TestTurnOpaque(t *testing.T) {
	m := image.NewYCbCr(image.Rect(0, 0, 47, 39), image.YCbCrSubsampleRatio420)
	rng := randomRGBA(len(m.Y)+2*len(m.Cb), 1, 5).Pix
	copy(m.Y, rng)
	copy(m.Cb, rng[len(m.Y):])
	copy(m.Cr, rng[len(m.Y)+len(m.Cb):])
	for _, q := range []int{90, 180, 270} {
		got, err := Turn(m, q, 1.7)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Turn(ycbcrToNRGBA(m, nil), q, 1.7)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(pixOf(got), pixOf(want)) {
			t.Errorf("%d°: the YCbCr page turns otherwise than its NRGBA copy", q)
		}
	}
	// Unturned, the paper's colour is estimated from the YCbCr page itself; the page stays opaque.
	got, err := Turn(m, 0, 1.7)
	if err != nil {
		t.Fatal(err)
	}
	if !got.(*image.NRGBA).Opaque() {
		t.Error("0°: the YCbCr page turned has transparent pixels")
	}
}

// TestYCbCr420ToRGBA checks the 4:2:0 conversion against image/draw's, to the bit, on odd
// sizes and every level (noise).
func TestYCbCr420ToRGBA(t *testing.T) {
	for _, r := range []image.Rectangle{image.Rect(0, 0, 47, 39), image.Rect(0, 0, 64, 2)} {
		m := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
		rng := randomRGBA(len(m.Y)+2*len(m.Cb), 1, 11).Pix
		copy(m.Y, rng)
		copy(m.Cb, rng[len(m.Y):])
		copy(m.Cr, rng[len(m.Y)+len(m.Cb):])
		got := ycbcrToNRGBA(m, nil)
		want := image.NewRGBA(r)
		draw.Draw(want, r, m, r.Min, draw.Src)
		if !slices.Equal(got.Pix, want.Pix) {
			t.Errorf("%v: differs from image/draw", r)
		}
	}
}
