package ocr

import (
	"context"
	"fmt"
	"image"
)

// RecognizeLine finds the words on img read as a single line of text (Tesseract's page
// segmentation mode 7: no layout analysis), which is much quicker than Recognize on a strip
// known to hold one printed line, such as a signer's name. Otherwise it is Recognize.
func (e *Engine) RecognizeLine(ctx context.Context, img image.Image) (*Result, error) {
	if e.tess == nil {
		return e.Recognize(ctx, img) // says the engine is closed
	}
	mode := defaultVariables()["tessedit_pageseg_mode"]
	if v, ok := e.opts.Variables["tessedit_pageseg_mode"]; ok {
		mode = v
	}
	if err := e.tess.setVariable("tessedit_pageseg_mode", "7"); err != nil { // PSM_SINGLE_LINE
		return nil, fmt.Errorf("ocr: recognize a line: %w", err)
	}
	defer e.tess.setVariable("tessedit_pageseg_mode", mode)
	return e.Recognize(ctx, img)
}
