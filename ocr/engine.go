package ocr

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// defaultVariables are the Tesseract variables every Engine sets unless Options.Variables
// overrides them.
//
// Page segmentation is automatic (Tesseract's PSM_AUTO, 3). Tesseract's chatter on every page
// ("Estimating resolution as 450") goes to debug_file, here discarded.
//
// tessedit_do_invert (Tesseract 5 reads a line of low confidence a second time inverted) stays
// on, as in bare tesseract: turned off, it saved no measurable CPU on the samples, and a "`"
// read from the signature on admin sample s04/page-002 reached the text layer
// (TestAdminNoHandwriting), its confidence no longer low enough for it to be junk.
func defaultVariables() map[string]string {
	return map[string]string{
		"tessedit_pageseg_mode": "3",
		"debug_file":            os.DevNull,
	}
}

// Engine is one Tesseract instance (plus its OSD instance). Not safe for concurrent use.
type Engine struct {
	tess *tessAPI
	osd  *osdAPI
	buf  []byte // reused buffer for the image handed to Tesseract
	opts Options
}

// NewEngine starts Tesseract with opts and loads its language data.
// It fails if the languages, the tessdata directory or a variable are not accepted.
// The caller must Close the Engine.
func NewEngine(opts Options) (*Engine, error) {
	e, err := newEngine(opts)
	if err != nil {
		return nil, err
	}
	osd, err := newOSD(opts.TessdataDir)
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("ocr: new engine: %w", err)
	}
	e.osd = osd
	return e, nil
}

// newEngine is NewEngine without the orientation detection instance, which the caller gives it
// (its own, or a Pool's shared one).
func newEngine(opts Options) (*Engine, error) {
	langs := opts.Languages
	if langs == "" {
		langs = "vie"
	}
	vars := defaultVariables()
	if opts.Skip&StepCorrect == 0 && opts.LSTMChoices {
		vars["lstm_choice_mode"] = "2" // the LSTM's alternatives, for correctWords
	}
	for k, v := range opts.Variables {
		vars[k] = v
	}
	tess, err := newTessAPI(opts.TessdataDir, langs, vars)
	if err != nil {
		return nil, fmt.Errorf("ocr: new engine: %w", err)
	}
	tess.keepChoices = opts.Skip&StepCorrect == 0 && opts.LSTMChoices
	return &Engine{tess: tess, opts: opts}, nil
}

// Recognize finds the words on img, at img's resolution (see RecognizeAt).
func (e *Engine) Recognize(ctx context.Context, img image.Image) (*Result, error) {
	return e.RecognizeAt(ctx, img, 0)
}

// RecognizeAt finds the words on img, a page of dpi dots per inch (0 when unknown). A page
// of more than Options.RecognitionDPI, when set, is reduced to it for Tesseract; the word boxes
// are still in img's coordinates.
//
// Tesseract reads a gray copy of img from which the Engine's Dropout inks are removed; img
// itself is not changed. The words then go into NĐ 30 reading order and junk words are
// marked (see Word.Region and Word.Junk), unless Options.Skip says otherwise.
// Word boxes are in img's coordinates. ctx is checked before recognition starts; a
// recognition under way is not interrupted.
func (e *Engine) RecognizeAt(ctx context.Context, img image.Image, dpi float64) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ocr: recognize: %w", err)
	}
	if e.tess == nil {
		return nil, errors.New("ocr: recognize: engine is closed")
	}
	var times StepTimes
	t0 := time.Now()
	b := img.Bounds()
	if b.Empty() {
		return &Result{}, nil
	}
	var ink *inkGrid
	if m, ok := img.(*image.NRGBA); ok && e.opts.Dropout == 0 {
		e.buf = appendNRGBABMP(e.buf[:0], m) // what ToGray gives, without the gray copy
	} else {
		var g *image.Gray
		g, ink = dropout(img, e.opts.Dropout)
		e.buf = appendBMP(e.buf[:0], g)
	}
	times.Image = time.Since(t0)
	t0 = time.Now()
	boxes, err := e.tess.words(e.buf, e.opts.recognitionScale(dpi))
	if err != nil {
		return nil, fmt.Errorf("ocr: recognize: %w", err)
	}
	res := &Result{Words: make([]Word, 0, len(boxes))}
	var sum float64
	line := 0
	var prevBlock, prevPar, prevLine int
	for _, bb := range boxes {
		text := strings.TrimSpace(norm.NFC.String(bb.Word))
		if text == "" {
			continue
		}
		if line == 0 || bb.Block != prevBlock || bb.Paragraph != prevPar || bb.Line != prevLine {
			line++
			prevBlock, prevPar, prevLine = bb.Block, bb.Paragraph, bb.Line
		}
		res.Words = append(res.Words, Word{
			Text:       text,
			Box:        bb.Box.Add(b.Min),
			Confidence: max(0, min(100, bb.Confidence)),
			Block:      bb.Block,
			Paragraph:  bb.Paragraph,
			Line:       line,
		})
		sum += res.Words[len(res.Words)-1].Confidence
	}
	times.Tesseract = time.Since(t0)
	t0 = time.Now()
	var choices map[image.Rectangle][][]choice
	if e.opts.Skip&StepCorrect == 0 && e.opts.LSTMChoices {
		choices = shiftChoices(e.tess.choices, b.Min)
	}
	times.Correct = time.Since(t0)
	if n := len(res.Words); n > 0 {
		res.MeanConfidence = sum / float64(n)
	}
	t0 = time.Now()
	if e.opts.Skip&StepLayout == 0 {
		res.Words = orderLayout(res.Words)
	} else {
		res.Words = markBody(res.Words)
	}
	times.Layout = time.Since(t0)
	t0 = time.Now()
	if e.opts.Skip&StepJunk == 0 {
		res.Handwriting = markJunk(res.Words, ink)
	}
	times.Junk = time.Since(t0)
	t0 = time.Now()
	if e.opts.Skip&StepCorrect == 0 {
		res.Words, _ = correctWords(res.Words, choices)
	}
	times.Correct += time.Since(t0)
	res.Times = times
	return res, nil
}

// Close frees the Tesseract instances. Closing a closed Engine does nothing.
func (e *Engine) Close() error {
	if e.tess != nil {
		e.tess.close()
		e.tess = nil
	}
	if e.osd != nil {
		e.osd.release()
		e.osd = nil
	}
	e.buf = nil
	return nil
}
