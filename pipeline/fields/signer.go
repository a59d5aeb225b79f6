package fields

import (
	"image"
	"strings"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline/tt05"
)

// SignerRegion returns the part of a page worth reading again for the signer's name: the
// right-hand signer block, from its first title line down a third of the page, when the
// page has a signer block (titles at the height of "Nơi nhận") but no name was found in
// it. The name is often printed under the red seal and the signature, where the first
// reading of the whole page returns nothing.
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
	if _, _, name := signerOf(segs, p); name.Text != "" && name.Confidence >= signerSureConfidence {
		return image.Rectangle{}, false
	}
	r := image.Rect(p.Width/2, top, p.Width, top+p.Height/4)
	return r.Intersect(image.Rect(0, 0, p.Width, p.Height)), true
}

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
