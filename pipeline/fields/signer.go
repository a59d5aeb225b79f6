package fields

import (
	"image"
	"sort"
	"strings"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline/tt05"
)

// SignerRegion returns the part of a page worth reading again for the signer's name, when
// the page has a signer block (upper-case title lines in the right column at the height of
// "Nơi nhận" and below) but no name was found in it. The name is often printed under the red
// seal and the signature, where the first reading of the whole page returns nothing. Per
// NĐ 30 (Phụ lục I) the name is centred under the titles, below the space left for the
// signature and seal: the region is the titles' width (widened by two title heights on each
// side) from under the last title down twelve title heights.
func SignerRegion(p Page) (image.Rectangle, bool) {
	if p.Width == 0 || p.Height == 0 {
		return image.Rectangle{}, false
	}
	segs := segments(p.Words)
	top := -1
	for _, s := range segs {
		if strings.HasPrefix(tt05.Fold(s.text), "nơi nhận") {
			top = s.box.Min.Y - s.h()
		}
	}
	if top < 0 {
		return image.Rectangle{}, false // no signer block on this page
	}
	titles, name := signerLines(segs, p, top)
	if len(titles) == 0 || name.Text != "" && name.Confidence >= signerSureConfidence {
		return image.Rectangle{}, false
	}
	var box image.Rectangle
	hs := make([]int, 0, len(titles))
	for _, t := range titles {
		box = box.Union(t.box)
		hs = append(hs, t.h())
	}
	sort.Ints(hs)
	h := hs[len(hs)/2]
	r := image.Rect(box.Min.X-2*h, box.Max.Y, box.Max.X+2*h, box.Max.Y+SignerDepth*h)
	r = r.Intersect(image.Rect(0, 0, p.Width, p.Height))
	return r, !r.Empty()
}

// SignerDepth is how far below the last title line, in title heights, the name is looked
// for: the signature and seal take five to eight lines.
const SignerDepth = 12

// signerSureConfidence is the confidence above which a signer's name read with the page
// is not read again.
const signerSureConfidence = 0.85

// withSigner returns the words of p with those of its signer region replaced by the
// second reading (p.SignerWords), when there is one.
func withSigner(p Page) []ocr.Word {
	if len(p.SignerWords) == 0 {
		return p.Words
	}
	out := make([]ocr.Word, 0, len(p.Words)+len(p.SignerWords))
	for _, w := range p.Words {
		if !w.Box.Overlaps(p.SignerRegion) {
			out = append(out, w)
		}
	}
	return append(out, p.SignerWords...)
}
