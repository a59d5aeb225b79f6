package server

import (
	"image"
	"image/color"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
)

// TestDecodeImage: thumbnails are made from the archival page images as
// stored, bitonal Flate (CCITT and other black-and-white scans) and JPEG.
func TestDecodeImage(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 37, 11)) // width not a multiple of 8
	for y := range 11 {
		for x := range 37 {
			if (x+y)%3 != 0 {
				g.SetGray(x, y, color.Gray{255})
			}
		}
	}
	im, err := pdfa.EncodeImage(g, pdfa.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if im.Filter != pdfa.Flate || im.BitsPerComponent != 1 {
		t.Fatalf("encoded as %v, %d bits: want bitonal Flate", im.Filter, im.BitsPerComponent)
	}
	out, err := decodeImage(im)
	if err != nil {
		t.Fatal(err)
	}
	for y := range 11 {
		for x := range 37 {
			if got, want := color.GrayModel.Convert(out.At(x, y)).(color.Gray).Y, g.GrayAt(x, y).Y; got != want {
				t.Fatalf("pixel %d,%d = %d, want %d", x, y, got, want)
			}
		}
	}

	rgb := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range rgb.Pix {
		rgb.Pix[i] = 200
	}
	im, err = pdfa.EncodeImage(rgb, pdfa.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out, err = decodeImage(im)
	if err != nil || out.Bounds().Dx() != 64 || out.Bounds().Dy() != 48 {
		t.Fatalf("JPEG page: %v %v", out.Bounds(), err)
	}
	if _, err := decodeImage(pdfa.Image{Filter: pdfa.Flate, Data: []byte("not zlib"), Width: 2, Height: 2}); err == nil {
		t.Error("corrupt data decoded")
	}
}
