package pdfatest

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"testing"
)

func TestDecodePPM(t *testing.T) {
	data := append([]byte("P6\n2 1\n255\n"), 10, 20, 30, 255, 0, 128)
	img, err := DecodePPM(data)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, 2, 1) {
		t.Fatalf("bounds %v", img.Bounds())
	}
	want := []byte{10, 20, 30, 255, 255, 0, 128, 255}
	if string(img.Pix) != string(want) {
		t.Errorf("pixels %v, want %v", img.Pix, want)
	}
	for _, bad := range []string{"P5\n2 1\n255\n\x00\x00", "P6\n2 1\n65535\n", "P6\n2 1\n255\n\x00", "P6\n0 0\n255\n"} {
		if _, err := DecodePPM([]byte(bad)); err == nil {
			t.Errorf("DecodePPM(%q): no error", bad)
		}
	}
}

func TestPSNR(t *testing.T) {
	a := image.NewGray(image.Rect(0, 0, 4, 4))
	b := image.NewRGBA(image.Rect(10, 10, 14, 15)) // other origin, one row more
	for i := range b.Pix {
		b.Pix[i] = 255
	}
	for y := range 4 {
		for x := range 4 {
			a.SetGray(x, y, color.Gray{uint8(16 * (x + 4*y))})
			b.Set(10+x, 10+y, a.At(x, y))
		}
	}
	if p := PSNR(a, b); !math.IsInf(p, 1) {
		t.Errorf("PSNR of equal pixels = %v, want +Inf", p)
	}
	b.Set(10, 10, color.RGBA{16, 16, 16, 255}) // error 16 on 3 of 48 samples: MSE 16
	if p, want := PSNR(a, b), 10*math.Log10(255*255/16.0); math.Abs(p-want) > 1e-9 {
		t.Errorf("PSNR = %v, want %v", p, want)
	}
}

func TestToRGBA(t *testing.T) {
	m := image.NewRGBA(image.Rect(0, 0, 3, 2))
	if ToRGBA(m) != m {
		t.Error("a packed RGBA image at origin is copied")
	}
	sub := m.SubImage(image.Rect(0, 0, 2, 1)).(*image.RGBA)
	if r := ToRGBA(sub); r == sub || len(r.Pix) != 4*2*1 {
		t.Errorf("sub-image not packed: %d bytes", len(r.Pix))
	}
}

func TestIoU(t *testing.T) {
	for _, c := range []struct {
		a, b [4]float64
		want float64
	}{
		{[4]float64{0, 0, 2, 2}, [4]float64{0, 0, 2, 2}, 1},
		{[4]float64{0, 0, 2, 2}, [4]float64{1, 0, 3, 2}, 2.0 / 6},
		{[4]float64{0, 0, 2, 2}, [4]float64{2, 0, 4, 2}, 0},
		{[4]float64{0, 0, 4, 4}, RectBox(image.Rect(1, 1, 3, 3)), 4.0 / 16},
	} {
		if got := IoU(c.a, c.b); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("IoU(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func ExampleIoU() {
	fmt.Printf("%.2f\n", IoU([4]float64{0, 0, 10, 10}, RectBox(image.Rect(5, 0, 15, 10))))
	// Output: 0.33
}
