package normalize

import (
	"image"
	"image/color"
	"image/draw"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/scan"
)

// TestYCbCrToNRGBA checks libjpeg-turbo's colour conversion of the JPEG samples as decoded
// against image/draw's: every sample within one level, and the chroma replicated (a colour
// smoothed across chroma samples, as libjpeg's default upsampling does, would differ by more).
func TestYCbCrToNRGBA(t *testing.T) {
	for _, name := range []string{"bb-giao-nhan-p01.jpg", "qd-chinh-ly-p01.jpg"} {
		img, _, err := scan.Decode("../../testdata/samples/"+name, 1)
		if err != nil {
			t.Fatal(err)
		}
		m, ok := img.(*image.YCbCr)
		if !ok {
			t.Fatalf("%s: decoded as %T", name, img)
		}
		got, ok := ycbcrToNRGBA(m, nil)
		if !ok {
			t.Fatalf("%s: not converted by libjpeg-turbo", name)
		}
		want := image.NewRGBA(m.Rect)
		draw.Draw(want, m.Rect, m, m.Rect.Min, draw.Src)
		off := 0
		for i := range got.Pix {
			d := int(got.Pix[i]) - int(want.Pix[i])
			if d > 1 || d < -1 {
				t.Fatalf("%s: sample %d (pixel %d, %d) is %d, image/draw gives %d", name, i, i/4%m.Rect.Dx(), i/4/m.Rect.Dx(), got.Pix[i], want.Pix[i])
			}
			if d != 0 {
				off++
			}
		}
		t.Logf("%s: %d of %d samples differ by one from image/draw's", name, off, len(got.Pix))
	}
	// A sharp colour edge between chroma samples stays sharp.
	m := image.NewYCbCr(image.Rect(0, 0, 16, 16), image.YCbCrSubsampleRatio420)
	for i := range m.Y {
		m.Y[i] = 128
	}
	for i := range m.Cb {
		m.Cb[i], m.Cr[i] = 128, 128
		if i%m.CStride >= 4 {
			m.Cr[i] = 240 // red from chroma column 4 on: pixels x >= 8
		}
	}
	got, ok := ycbcrToNRGBA(m, nil)
	if !ok {
		t.Fatal("16×16 4:2:0 not converted")
	}
	for _, x := range []int{7, 8} {
		want := color.NRGBAModel.Convert(m.At(x, 5)).(color.NRGBA)
		if c := got.NRGBAAt(x, 5); c != want {
			t.Errorf("pixel (%d, 5) is %v, want %v", x, c, want)
		}
	}
}
