// Package ocr recognises Vietnamese text on page images with Tesseract and finds page orientation and skew.
//
// An [Engine] wraps one Tesseract instance for recognition and one for orientation and script
// detection, both through Tesseract's C API with shims that free every result they take. Engines are not safe for
// concurrent use; a [Pool] hands one to each worker. [DetectSkew] measures the small rotation
// of an upright page with Leptonica.
//
// Around Tesseract's recognition an Engine removes red and blue ink (seals, stamps,
// signatures, handwriting) from the image Tesseract reads ([Options.Dropout]), puts the words
// of an administrative page (Nghị định 30/2020) into reading order ([Region]), and marks the
// junk read from handwriting and stamps ([Word.Junk]); [Result.Signals] measures how likely
// the text is to be wrong, [IsSyllable] checks Vietnamese syllables.
//
// Tesseract starts OpenMP threads by default, which doubles its CPU time when pages are
// processed in parallel. OpenMP reads OMP_THREAD_LIMIT only when the program starts, so it must
// be 1 in the environment the program starts with; see ReexecSingleThreaded and SingleThreaded.
package ocr

import (
	"image"
	"strings"
	"time"
)

// Word is one recognised word.
type Word struct {
	Text       string          // NFC-normalised (golang.org/x/text/unicode/norm)
	Box        image.Rectangle // pixel coordinates in the image given to Recognize, origin top-left
	Confidence float64         // 0..100

	// Block, Paragraph and Line number the word's text block, paragraph and line, counted
	// from 1 in reading order: Tesseract's, except that each column of a two-column header or
	// footer is a block of its own (see Region). Paragraph is unique within its block; Line
	// increases in reading order and is unique within the page.
	Block, Paragraph, Line int

	// Region is the part of the page the word was read in.
	Region Region
	// Junk marks a word read from handwriting, a signature, a seal or a stamp rather than
	// print (see markJunk): it is left out of Text and of the PDF text layer, and kept in
	// ALTO with its confidence.
	Junk bool
}

// Result is the OCR of one page.
type Result struct {
	Words          []Word  // in reading order
	MeanConfidence float64 // mean of word confidences, 0 when there are no words
	// Handwriting is true when words were left out as junk: the page has handwriting, a
	// signature, a seal or a stamp where text was looked for.
	Handwriting bool
	// Times is how long each step of Recognize took.
	Times StepTimes
}

// StepTimes is how long the steps of one recognition took.
type StepTimes struct {
	Image     time.Duration // gray image for Tesseract, colour dropout included
	Tesseract time.Duration // Tesseract's recognition
	Layout    time.Duration // reading order
	Junk      time.Duration // junk words
	Correct   time.Duration // Vietnamese syllable correction
}

// Text returns the page text: words of a line joined by one space, lines by "\n",
// paragraphs/blocks by an empty line. Junk words are left out.
func (r *Result) Text() string {
	var b strings.Builder
	var prev Word
	first := true
	for _, w := range r.Words {
		if w.Junk {
			continue
		}
		if !first {
			switch {
			case w.Block != prev.Block || w.Paragraph != prev.Paragraph:
				b.WriteString("\n\n")
			case w.Line != prev.Line:
				b.WriteByte('\n')
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteString(w.Text)
		prev, first = w, false
	}
	return b.String()
}

// Orientation is how far a page's content is turned counter-clockwise from upright: 0, 90, 180 or 270.
// Rotating the image clockwise by Degrees restores it (imaging.Rotate270 for 90, Rotate180, Rotate90 for 270).
type Orientation struct {
	Degrees    int
	Confidence float64 // Tesseract OSD's orientation confidence
}

// Skew is the small rotation of the content, counter-clockwise positive, in degrees;
// rotating the image by -Degrees (imaging.Rotate(img, -Degrees, white)) straightens it.
type Skew struct {
	Degrees    float64
	Confidence float64
}

// Options configures an Engine.
type Options struct {
	Languages   string            // Tesseract languages, e.g. "vie" or "vie+eng"; default "vie"
	TessdataDir string            // "" = Tesseract's default
	Variables   map[string]string // extra Tesseract variables

	// Dropout is the ink colours removed from the image Tesseract reads (seals, stamps,
	// signatures, handwriting); the caller's image is not changed. Zero drops nothing.
	Dropout Inks
	// Skip turns off steps sohoa adds around Tesseract, to measure what each one gains.
	// Zero runs them all.
	Skip Steps
	// LSTMChoices lets the correction step replace a word that is not a valid syllable by
	// one that Tesseract's LSTM alternatives make (see fromChoices). Off by default: on the
	// admin samples it raised the CER from 4.13% to 4.48% (BenchmarkAdminSteps, cer%-choices).
	LSTMChoices bool
	// RecognitionDPI, when positive, is the highest resolution Tesseract reads a page at:
	// RecognizeAt reduces pages of a higher resolution to it. Zero reads every page at its own
	// resolution, the default: reading 300-dpi pages at 250 or 200 dpi saves about 15% of
	// Tesseract's time but did not hold accuracy on the admin samples (README, Measured figures).
	RecognitionDPI float64
}

// recognitionScale returns the factor by which a page of dpi dots per inch is reduced for
// Tesseract: 1 when there is no recognition resolution, when dpi is unknown (0) or when it is not
// above the recognition resolution (within 5%).
func (o Options) recognitionScale(dpi float64) float64 {
	target := o.RecognitionDPI
	if target <= 0 || dpi <= 0 || dpi <= 1.05*target {
		return 1
	}
	return target / dpi
}

// Steps is a set of the steps sohoa adds after Tesseract's recognition.
type Steps uint8

// Steps after recognition, in the order they run.
const (
	StepLayout  Steps = 1 << iota // NĐ 30 reading order (orderLayout)
	StepJunk                      // leave handwriting and stamp junk out of the text (markJunk)
	StepCorrect                   // safe Vietnamese syllable corrections (correctWords)
)
