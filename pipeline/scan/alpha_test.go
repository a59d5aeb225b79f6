package scan

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// TestTransparentOnWhite: transparent pixels are composited on white paper,
// as viewers show them, in every image type the PNG decoder gives.
func TestTransparentOnWhite(t *testing.T) {
	rect := image.Rect(0, 0, 16, 8)
	// A palette page whose paper is transparent (black with alpha 0) and whose ink is opaque black.
	pal := image.NewPaletted(rect, color.Palette{color.NRGBA{0, 0, 0, 0}, color.NRGBA{0, 0, 0, 255}})
	pal.SetColorIndex(3, 3, 1)
	// An RGBA page with alpha 0 everywhere but one opaque black pixel.
	nrgba := image.NewNRGBA(rect)
	nrgba.SetNRGBA(3, 3, color.NRGBA{0, 0, 0, 255})
	// Half-transparent black is mid gray on white.
	half := image.NewNRGBA(rect)
	for i := range half.Pix {
		if i%4 == 3 {
			half.Pix[i] = 128
		}
	}
	half.SetNRGBA(3, 3, color.NRGBA{0, 0, 0, 255})
	// 16-bit RGBA and gray with alpha (decoded as NRGBA64 and NRGBA).
	n64 := image.NewNRGBA64(rect)
	n64.SetNRGBA64(3, 3, color.NRGBA64{0, 0, 0, 0xffff})
	grayAlpha := image.NewNRGBA(rect)
	grayAlpha.SetNRGBA(3, 3, color.NRGBA{0, 0, 0, 255})

	tests := []struct {
		name  string
		img   image.Image
		paper uint8 // expected gray level of the paper
	}{
		{"palette with transparent paper", pal, 255},
		{"RGBA alpha 0", nrgba, 255},
		{"RGBA half transparent", half, 127},
		{"16-bit RGBA alpha 0", n64, 255},
		{"gray alpha 0", grayAlpha, 255},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := png.Encode(&buf, tt.img); err != nil {
				t.Fatal(err)
			}
			img, _, err := DecodeBytes(buf.Bytes(), 1)
			if err != nil {
				t.Fatal(err)
			}
			paper := color.GrayModel.Convert(img.At(10, 5)).(color.Gray).Y
			ink := color.GrayModel.Convert(img.At(3, 3)).(color.Gray).Y
			if d := int(paper) - int(tt.paper); d < -1 || d > 1 || ink != 0 {
				t.Errorf("paper gray %d, ink %d; want paper %d, ink 0", paper, ink, tt.paper)
			}
			if o, ok := img.(interface{ Opaque() bool }); !ok || !o.Opaque() {
				t.Errorf("decoded page (%T) is not opaque", img)
			}
		})
	}
}
