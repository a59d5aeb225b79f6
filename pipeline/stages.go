package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline/normalize"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/scan"
)

// Stage names, used in errors, logs and timings.
const (
	StageDecode    = "decode"
	StageNormalize = "normalize"
	StageOCR       = "ocr"
	StageEncode    = "encode"
	StageSigner    = "signer" // the second reading of a signer block
	StagePDF       = "pdf"
	StageSign      = "sign" // the PDF's digital signature
	StagePackage   = "package"
)

// Page flags: reasons a page needs a person's look, without failing it.
const (
	// FlagLowConfidence: the OCR text is likely to have errors: a mean word confidence under
	// PageOptions.MinConfidence, or signals that track errors (ocr.Signals.NeedsReview).
	FlagLowConfidence        = "low-confidence"
	FlagBlank                = "blank"
	FlagOrientationUncertain = "orientation-uncertain"
	// FlagUnder24Bit marks a page scanned below TT 05/2025's colour depth
	// (ColourRule): 8-bit grey, 1-bit or a palette. The scan is what is
	// wrong: the archival image stays as scanned, never turned into fake colour.
	FlagUnder24Bit = "under-24-bit"
	// FlagHandwriting: words read on handwriting, a signature, a seal or a stamp were left
	// out of the text layer (they are in the ALTO file, marked).
	FlagHandwriting = "handwriting"
)

// ColourRule is the rule a FlagUnder24Bit page breaks.
const ColourRule = "TT 05/2025 Điều 8: độ sâu màu tối thiểu 24 bit (colour depth at least 24 bit)"

// Under24Bit reports whether a scan's colour model (scan.Info.ColorModel)
// has fewer than 24 bits of colour: grey, bitonal, palette.
func Under24Bit(colorModel string) bool {
	switch colorModel {
	case "gray", "bitonal", "palette", "gray-alpha", "mask":
		return true
	}
	return false
}

// PageError is a failure of one page, naming the file, the page and the stage.
type PageError struct {
	File  string // slash path relative to the batch folder
	Page  int    // 1-based page within File
	Stage string
	Err   error
}

func (e *PageError) Error() string {
	return fmt.Sprintf("%s page %d: %s: %v", e.File, e.Page, e.Stage, e.Err)
}

func (e *PageError) Unwrap() error { return e.Err }

// Original is the identity of an original scan file, recorded before anything is done to it.
type Original struct {
	File   string `json:"file"` // slash path relative to the batch folder
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Geometry is what normalization found and applied to a page.
type Geometry struct {
	Orientation           int             `json:"orientationDeg"` // content was turned counter-clockwise this far; turned back clockwise
	OrientationConfidence float64         `json:"orientationConfidence"`
	Skew                  float64         `json:"skewDeg"` // counter-clockwise skew found; rotated back by its negative
	SkewConfidence        float64         `json:"skewConfidence"`
	Crop                  image.Rectangle `json:"-"`
	Cropped               bool            `json:"cropped"`
}

// Timings is how long each stage of a page took.
type Timings struct {
	Decode, Normalize, OCR, Encode time.Duration
	Signer                         time.Duration // the second reading of the signer block, if any
}

// PageOptions controls ProcessPage.
type PageOptions struct {
	DPI           float64 // the page's resolution (after any --dpi override)
	MinConfidence float64 // pages whose mean OCR confidence is lower are flagged
	Encode        pdfa.EncodeOptions
	// Originals, when set, hashes each file once for all its pages (see Originals); when nil
	// the page's file is hashed for this page alone.
	Originals *Originals
}

// PageResult is a processed page: its normalized, encoded image, its words and what was found.
type PageResult struct {
	Page     *Page
	Original Original
	Geometry Geometry
	Width    int // normalized image size in pixels
	Height   int
	Image    pdfa.Image
	// Spilled, when set, holds Image.Data's bytes (Image.Data is then nil) in
	// the spill file of the document in progress (see Options.SpillBytes).
	Spilled *io.SectionReader
	OCR     *ocr.Result
	Flags   []string
	Timings Timings
	// SignerWords are a second reading of SignerRegion, the signer block of a page whose
	// first reading found no signer's name (see fields.SignerRegion); nil otherwise.
	SignerWords  []ocr.Word
	SignerRegion image.Rectangle
}

// Normalize turns a decoded page upright and straight and crops scanner
// borders. Orientation comes from Tesseract OSD, skew from Leptonica. Finding
// is done on a gray copy (the luma plane of a JPEG as decoded, no copy), turned
// by the quarter turn found before its skew is looked for; the archival image
// keeps its colour and is resampled once, for the quarter turn and the skew
// together. It returns the normalized image.
func Normalize(ctx context.Context, eng *ocr.Engine, img image.Image) (image.Image, Geometry, error) {
	var g Geometry
	gray := ocr.ToGray(img)
	colour := img.ColorModel() != color.GrayModel && img.ColorModel() != color.Gray16Model
	if !colour {
		img = gray
	}

	o, err := eng.DetectOrientation(ctx, gray)
	if err != nil {
		return nil, g, fmt.Errorf("orientation: %w", err)
	}
	g.Orientation, g.OrientationConfidence = o.Degrees, o.Confidence
	upright, err := normalize.Rotate(gray, o.Degrees)
	if err != nil {
		return nil, g, err
	}
	s, err := ocr.DetectSkew(upright)
	if err != nil {
		return nil, g, fmt.Errorf("skew: %w", err)
	}
	g.Skew, g.SkewConfidence = s.Degrees, s.Confidence
	switch {
	case math.Abs(s.Degrees) >= normalize.MinSkew:
		if img, err = normalize.Turn(img, o.Degrees, s.Degrees); err != nil {
			return nil, g, err
		}
	case !colour:
		img = upright // the gray page turned: nothing more to do
	default:
		if img, err = normalize.Rotate(img, o.Degrees); err != nil {
			return nil, g, err
		}
	}
	if _, crop := normalize.CropBorders(img); crop != img.Bounds() {
		g.Crop, g.Cropped = crop, true
		img = normalize.Crop(img, crop)
	}
	return img, g, nil
}

// NeedsNoChange reports whether normalization left the page as scanned, so an
// original JPEG can go into the PDF without re-encoding.
func (g Geometry) NeedsNoChange() bool {
	return g.Orientation == 0 && math.Abs(g.Skew) < normalize.MinSkew && !g.Cropped
}

// ProcessPage runs the page stages on one page: decode, normalize, OCR and
// encode. A failure is a *PageError.
func ProcessPage(ctx context.Context, eng *ocr.Engine, batchDir string, pg *Page, opts PageOptions) (*PageResult, error) {
	res := &PageResult{Page: pg}
	fail := func(stage string, err error) (*PageResult, error) {
		return nil, &PageError{pg.File, pg.FilePage, stage, err}
	}

	t0 := time.Now()
	orig, err := opts.Originals.Identify(batchDir, pg)
	if err != nil {
		return nil, err
	}
	res.Original = orig
	if pg.Unreadable != nil {
		return fail(StageDecode, pg.Unreadable)
	}
	// The page alone is read from the file: a multi-page TIFF is never read whole per page.
	img, info, err := scan.Decode(filepath.Join(batchDir, filepath.FromSlash(pg.File)), pg.FilePage)
	if err != nil {
		var se *scan.PageError
		if errors.As(err, &se) {
			// The PageError below names the file; keep the scan error as it was from memory.
			err = &scan.PageError{Page: se.Page, Err: se.Err}
		}
		return fail(StageDecode, err)
	}
	res.Timings.Decode = time.Since(t0)

	t0 = time.Now()
	norm, geo, err := Normalize(ctx, eng, img)
	if err != nil {
		return fail(StageNormalize, err)
	}
	res.Geometry = geo
	b := norm.Bounds()
	res.Width, res.Height = b.Dx(), b.Dy()
	res.Timings.Normalize = time.Since(t0)

	t0 = time.Now()
	// The engine reads the colour image: its colour dropout needs the hues.
	dpi := opts.DPI
	if dpi == 0 {
		dpi = pg.DPI
	}
	r, err := eng.RecognizeAt(ctx, norm, dpi)
	if err != nil {
		return fail(StageOCR, err)
	}
	res.OCR = r
	res.Timings.OCR = time.Since(t0)
	t0 = time.Now()
	if res.SignerWords, res.SignerRegion, err = readSignerRegion(ctx, eng, norm, r.Words); err != nil {
		return fail(StageOCR, err)
	}
	res.Timings.Signer = time.Since(t0)
	if len(r.Words) == 0 {
		res.Flags = append(res.Flags, FlagBlank)
	} else if r.MeanConfidence < opts.MinConfidence || r.Signals().NeedsReview() {
		res.Flags = append(res.Flags, FlagLowConfidence)
	}
	if geo.OrientationConfidence < minOrientationConfidence && len(r.Words) > 0 {
		res.Flags = append(res.Flags, FlagOrientationUncertain)
	}
	if Under24Bit(info.ColorModel) {
		res.Flags = append(res.Flags, FlagUnder24Bit)
	}
	if r.Handwriting {
		res.Flags = append(res.Flags, FlagHandwriting)
	}

	t0 = time.Now()
	if info.Format == scan.JPEG && geo.NeedsNoChange() {
		res.Image, err = passThrough(batchDir, pg, orig)
	}
	if info.Format != scan.JPEG || !geo.NeedsNoChange() || err != nil {
		res.Image, err = pdfa.EncodeImage(norm, opts.Encode)
	}
	if err != nil {
		return fail(StageEncode, err)
	}
	res.Timings.Encode = time.Since(t0)
	return res, nil
}

// passThrough reads pg's JPEG file (one page) for the PDF as it is, after checking that it is
// still the file identified as orig.
func passThrough(batchDir string, pg *Page, orig Original) (pdfa.Image, error) {
	data, err := os.ReadFile(filepath.Join(batchDir, filepath.FromSlash(pg.File)))
	if err != nil {
		return pdfa.Image{}, err
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != orig.SHA256 {
		return pdfa.Image{}, fmt.Errorf("the file changed while it was processed (SHA-256 %s, then %x)", orig.SHA256, sum)
	}
	return pdfa.PassThroughJPEG(data)
}

// minOrientationConfidence is the OSD confidence under which a page is flagged
// for a person to check its orientation.
const minOrientationConfidence = 1.0

// errCanceled marks pages not processed because the run was stopped.
var errCanceled = errors.New("not processed: the run was stopped")
