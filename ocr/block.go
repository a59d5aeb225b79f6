package ocr

import (
	"context"
	"image"
	"strconv"

	"github.com/otiai10/gosseract/v2"
)

// RecognizeLine finds the words on img read as a single line of text (Tesseract's page
// segmentation mode 7: no layout analysis), which is much quicker than Recognize on a strip
// known to hold one printed line, such as a signer's name. Otherwise it is Recognize.
func (e *Engine) RecognizeLine(ctx context.Context, img image.Image) (*Result, error) {
	if e.client != nil {
		e.client.SetVariable("tessedit_pageseg_mode", strconv.Itoa(int(gosseract.PSM_SINGLE_LINE)))
		defer e.client.SetVariable("tessedit_pageseg_mode", defaultVariables()["tessedit_pageseg_mode"])
	}
	return e.Recognize(ctx, img)
}
