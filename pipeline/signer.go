package pipeline

import (
	"context"
	"image"
	"image/draw"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline/fields"
)

// signerInkLevel is the lightest grey kept as print in a signer block read again.
const signerInkLevel = 120

// readSignerRegion reads the signer block of a page again when the first reading found
// its titles but no name (fields.SignerRegion): the region of the normalized image is
// cropped and coloured ink (the red seal, a blue signature) is dropped, taking for each
// pixel its lightest channel, so that only black print is left. It returns the words
// found, in page coordinates, and the region; nothing when the page needs no second look.
func readSignerRegion(ctx context.Context, eng *ocr.Engine, img image.Image, words []ocr.Word) ([]ocr.Word, image.Rectangle, error) {
	b := img.Bounds()
	region, ok := fields.SignerRegion(fields.Page{Words: words, Width: b.Dx(), Height: b.Dy()})
	if !ok {
		return nil, image.Rectangle{}, nil
	}
	src := region.Add(b.Min)
	rgba := image.NewRGBA(image.Rect(0, 0, src.Dx(), src.Dy()))
	draw.Draw(rgba, rgba.Bounds(), img, src.Min, draw.Src)
	g := image.NewGray(rgba.Bounds())
	for i := range g.Pix {
		p := rgba.Pix[4*i : 4*i+3]
		v := max(p[0], p[1], p[2])
		if v > signerInkLevel {
			v = 255 // a seal on a grey scan is lighter than print: drop it too
		}
		g.Pix[i] = v
	}
	r, err := eng.Recognize(ctx, g)
	if err != nil {
		return nil, region, err
	}
	out := make([]ocr.Word, len(r.Words))
	for i, w := range r.Words {
		w.Box = w.Box.Add(region.Min)
		out[i] = w
	}
	return out, region, nil
}
