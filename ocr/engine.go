package ocr

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/otiai10/gosseract/v2"
	"golang.org/x/text/unicode/norm"
)

// defaultVariables are the Tesseract variables every Engine sets unless Options.Variables
// overrides them.
//
// Page segmentation is set as a variable because gosseract's SetPageSegMode, called before
// the first recognition, is lost when the API is initialised. Tesseract's chatter on every page
// ("Estimating resolution as 450") goes to debug_file, here discarded.
func defaultVariables() map[string]string {
	return map[string]string{
		"tessedit_pageseg_mode": strconv.Itoa(int(gosseract.PSM_AUTO)),
		"debug_file":            os.DevNull,
	}
}

// Engine is one Tesseract instance (plus its OSD instance). Not safe for concurrent use.
type Engine struct {
	client *gosseract.Client
	osd    *osdAPI
	buf    []byte // reused buffer for the image handed to Tesseract
	opts   Options
}

// NewEngine starts Tesseract with opts and loads its language data.
// It fails if the languages, the tessdata directory or a variable are not accepted.
// The caller must Close the Engine.
func NewEngine(opts Options) (*Engine, error) {
	langs := opts.Languages
	if langs == "" {
		langs = "vie"
	}
	client := gosseract.NewClient()
	e := &Engine{client: client, opts: opts}
	if err := client.SetLanguage(strings.Split(langs, "+")...); err != nil {
		e.Close()
		return nil, fmt.Errorf("ocr: new engine: %w", err)
	}
	if opts.TessdataDir != "" {
		if err := client.SetTessdataPrefix(opts.TessdataDir); err != nil {
			e.Close()
			return nil, fmt.Errorf("ocr: new engine: %w", err)
		}
	}
	vars := defaultVariables()
	if opts.Skip&StepCorrect == 0 && opts.LSTMChoices {
		vars["lstm_choice_mode"] = "2" // the LSTM's alternatives, for correctWords
	}
	for k, v := range opts.Variables {
		vars[k] = v
	}
	for k, v := range vars {
		if err := client.SetVariable(gosseract.SettableVariable(k), v); err != nil {
			e.Close()
			return nil, fmt.Errorf("ocr: new engine: variable %s: %w", k, err)
		}
	}
	// gosseract initialises Tesseract lazily, on the first recognition. Recognise a tiny blank
	// image now so that bad languages or variables are reported here, not on the first page.
	blank := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range blank.Pix {
		blank.Pix[i] = 0xff
	}
	e.buf = appendBMP(e.buf[:0], blank)
	if err := client.SetImageFromBytes(e.buf); err != nil {
		e.Close()
		return nil, fmt.Errorf("ocr: new engine: %w", err)
	}
	if _, err := client.Text(); err != nil {
		e.Close()
		return nil, fmt.Errorf("ocr: new engine: languages %q: %w", langs, err)
	}
	osd, err := newOSD(opts.TessdataDir)
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("ocr: new engine: %w", err)
	}
	e.osd = osd
	return e, nil
}

// Recognize finds the words on img.
//
// Tesseract reads a gray copy of img from which the Engine's Dropout inks are removed; img
// itself is not changed. The words then go into NĐ 30 reading order and junk words are
// marked (see Word.Region and Word.Junk), unless Options.Skip says otherwise.
// Word boxes are in img's coordinates. ctx is checked before recognition starts; a
// recognition under way is not interrupted.
func (e *Engine) Recognize(ctx context.Context, img image.Image) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ocr: recognize: %w", err)
	}
	if e.client == nil {
		return nil, errors.New("ocr: recognize: engine is closed")
	}
	var times StepTimes
	t0 := time.Now()
	g, ink := dropout(img, e.opts.Dropout)
	b := g.Bounds()
	if b.Empty() {
		return &Result{}, nil
	}
	e.buf = appendBMP(e.buf[:0], g)
	times.Image = time.Since(t0)
	t0 = time.Now()
	if err := e.client.SetImageFromBytes(e.buf); err != nil {
		return nil, fmt.Errorf("ocr: recognize: %w", err)
	}
	boxes, err := e.client.GetBoundingBoxesVerbose()
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
		if line == 0 || bb.BlockNum != prevBlock || bb.ParNum != prevPar || bb.LineNum != prevLine {
			line++
			prevBlock, prevPar, prevLine = bb.BlockNum, bb.ParNum, bb.LineNum
		}
		res.Words = append(res.Words, Word{
			Text:       text,
			Box:        bb.Box.Add(b.Min),
			Confidence: max(0, min(100, bb.Confidence)),
			Block:      bb.BlockNum,
			Paragraph:  bb.ParNum,
			Line:       line,
		})
		sum += res.Words[len(res.Words)-1].Confidence
	}
	times.Tesseract = time.Since(t0)
	t0 = time.Now()
	var choices map[image.Rectangle][][]choice
	if e.opts.Skip&StepCorrect == 0 && e.opts.LSTMChoices {
		choices = shiftChoices(wordChoices(clientAPI(e.client)), b.Min)
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
	if e.client != nil {
		e.client.Close()
		e.client = nil
	}
	if e.osd != nil {
		e.osd.close()
		e.osd = nil
	}
	e.buf = nil
	return nil
}
