package pipeline

import (
	"context"
	"image"
	"image/draw"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline/fields"
)

const (
	// signerInkLevel is the lightest grey kept as print in a signer block read again.
	signerInkLevel = 120
	// signerPaperLevel: a pixel whose darkest channel is this light or lighter is paper.
	signerPaperLevel = 200
	// signerMinDropped: the signer block is read again only when at least 1/signerMinDropped
	// of its pixels are coloured or light ink that the second reading leaves out.
	signerMinDropped = 200
)

// readSignerRegion reads the signer's name again when the first reading of the page found
// the signer block's titles but no name (fields.SignerRegion). In the region under the
// titles, coloured ink (the red seal, a blue signature) and light ink (a seal on a grey scan)
// are dropped, taking for each pixel its lightest channel, so that only black print is
// left; the name is the lowest band of print there, read as one line. It returns the words
// found, in page coordinates, and the region; no words when the page needs no second look
// or when there is nothing to drop (a bitonal scan: the first reading saw the same pixels).
func readSignerRegion(ctx context.Context, eng *ocr.Engine, img image.Image, words []ocr.Word) ([]ocr.Word, image.Rectangle, error) {
	b := img.Bounds()
	region, ok := fields.SignerRegion(fields.Page{Words: words, Width: b.Dx(), Height: b.Dy()})
	if !ok {
		return nil, image.Rectangle{}, nil
	}
	g, dropped := printOnly(img, region.Add(b.Min))
	if dropped < len(g.Pix)/signerMinDropped {
		return nil, region, nil
	}
	band, ok := lowestPrintBand(g, region.Dy()/fields.SignerDepth)
	if !ok {
		return nil, region, nil
	}
	r, err := eng.RecognizeLine(ctx, g.SubImage(band))
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

// printOnly returns the part src of img in gray, origin at (0, 0), keeping only dark,
// uncoloured print, and how many pixels of ink it dropped.
func printOnly(img image.Image, src image.Rectangle) (*image.Gray, int) {
	rgba := image.NewRGBA(image.Rect(0, 0, src.Dx(), src.Dy()))
	draw.Draw(rgba, rgba.Bounds(), img, src.Min, draw.Src)
	g := image.NewGray(rgba.Bounds())
	dropped := 0
	for i := range g.Pix {
		p := rgba.Pix[4*i : 4*i+3]
		v := max(p[0], p[1], p[2])
		if v > signerInkLevel {
			if min(p[0], p[1], p[2]) < signerPaperLevel {
				dropped++ // ink the first reading saw and this one does not
			}
			v = 255
		}
		g.Pix[i] = v
	}
	return g, dropped
}

// lowestPrintBand finds the lowest band of rows of g holding print at least lineH/2 high
// (the signer's name, under the signature) and returns it with a margin of lineH/2 above
// (tone marks) and below.
func lowestPrintBand(g *image.Gray, lineH int) (image.Rectangle, bool) {
	b := g.Bounds()
	minInk := max(b.Dx()/100, 3) // a row of printed letters, not a stroke of the signature
	lineH = max(lineH, 8)
	inked := func(y int) bool {
		n := 0
		row := g.Pix[(y-b.Min.Y)*g.Stride : (y-b.Min.Y)*g.Stride+b.Dx()]
		for _, v := range row {
			if v < 128 {
				n++
			}
		}
		return n >= minInk
	}
	end := -1
	gap := 0
	for y := b.Max.Y - 1; y >= b.Min.Y; y-- {
		if inked(y) {
			if end < 0 {
				end = y + 1
			}
			gap = 0
			continue
		}
		if end < 0 {
			continue
		}
		if gap++; gap > lineH/6 {
			start := y + gap
			if end-start >= lineH/2 {
				r := image.Rect(b.Min.X, start-lineH/2, b.Max.X, end+lineH/2)
				return r.Intersect(b), true
			}
			end, gap = -1, 0
		}
	}
	return image.Rectangle{}, false
}
