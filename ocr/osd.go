package ocr

/*
#cgo LDFLAGS: -ltesseract -lleptonica
#include <stdlib.h>
#include <leptonica/allheaders.h>
#include <tesseract/capi.h>

// sohoa_osd_detect runs orientation detection on an 8-bit gray image of ppi dots per inch.
// It returns 0 on success, 1 when Tesseract found too little text to decide, 2 when out of memory.
static int sohoa_osd_detect(TessBaseAPI *h, const l_uint8 *buf, int w, int hgt, int stride,
		int ppi, int *deg, float *conf) {
	// Tesseract takes the resolution for its line removal from the PIX itself, so build one
	// rather than handing over the raw bytes with TessBaseAPISetImage.
	PIX *pix = pixCreate(w, hgt, 8);
	if (pix == NULL) return 2;
	l_uint32 *data = pixGetData(pix);
	int wpl = pixGetWpl(pix);
	for (int y = 0; y < hgt; y++) {
		const l_uint8 *s = buf + (size_t)y * stride;
		l_uint32 *line = data + (size_t)y * wpl;
		for (int x = 0; x < w; x++) SET_DATA_BYTE(line, x, s[x]);
	}
	pixSetResolution(pix, ppi, ppi);
	TessBaseAPISetImage2(h, pix);
	pixDestroy(&pix);
	BOOL ok = TessBaseAPIDetectOrientationScript(h, deg, conf, NULL, NULL);
	TessBaseAPIClear(h);
	return ok ? 0 : 1;
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"slices"
	"strconv"
	"sync"
	"unsafe"
)

// Orientation detection classifies character blobs in each of the four orientations, by
// default up to 250 of them, which costs about as much as recognising a third of the page,
// whatever the resolution. DetectOrientation therefore classifies at most 5×osdMinCharacters
// blobs (Tesseract's min_characters_to_try), and looks at windows of osdWindow of the page's
// width and height before it looks at the whole page: first the middle of the page, then the
// windows of a 3×3 grid with the most text (most edges between ink and paper), at most
// osdMaxWindows in all, skipping windows with less text than osdMinWindowEdges. The first window
// whose confidence reaches osdRetryConfidence decides; so do windows that agree and whose
// confidences add up to it while none of them points elsewhere with a confidence of 1 or more.
// Only when no window decides is the whole page classified, which costs about three times as much
// on a 300-dpi page (0.7 s instead of 0.2 s). A page without text in any window is not
// classified at all: Tesseract would find too little text to decide.
const (
	osdWindow          = 0.3
	osdRetryConfidence = 3
	osdMinCharacters   = 20
	osdMaxWindows      = 4
)

// osdMaxSide is the longest side, in pixels, of the page orientation detection works on.
// Larger pages are reduced by 2 until they fit (about 340 dpi for A4). Reducing further does
// not save time, since the blobs are normalised before classification, but loses accuracy.
const osdMaxSide = 4000

// osdAPI is a Tesseract instance loaded with the "osd" data. The Engines of a Pool share one:
// detection is a small part of a page's work, and each instance costs its loading time and
// its memory.
type osdAPI struct {
	mu   sync.Mutex // held while the instance classifies, and for refs
	h    *C.TessBaseAPI
	refs int // holders (Engines, a Pool); the instance is freed when the last lets go
	// pixels counts the pixels classified so far, for tests of what detection looks at.
	pixels int64
}

func newOSD(tessdataDir string) (*osdAPI, error) {
	h := C.TessBaseAPICreate()
	if h == nil {
		return nil, errors.New("osd: cannot create Tesseract instance")
	}
	var dir *C.char
	if tessdataDir != "" {
		dir = C.CString(tessdataDir)
		defer C.free(unsafe.Pointer(dir))
	}
	lang := C.CString("osd")
	defer C.free(unsafe.Pointer(lang))
	if C.TessBaseAPIInit3(h, dir, lang) != 0 {
		C.TessBaseAPIDelete(h)
		return nil, errors.New("osd: cannot load osd.traineddata")
	}
	name, value := C.CString("debug_file"), C.CString(os.DevNull)
	defer C.free(unsafe.Pointer(name))
	defer C.free(unsafe.Pointer(value))
	C.TessBaseAPISetVariable(h, name, value)
	n, val := C.CString("min_characters_to_try"), C.CString(strconv.Itoa(osdMinCharacters))
	defer C.free(unsafe.Pointer(n))
	defer C.free(unsafe.Pointer(val))
	if C.TessBaseAPISetVariable(h, n, val) == 0 {
		C.TessBaseAPIEnd(h)
		C.TessBaseAPIDelete(h)
		return nil, errors.New("osd: min_characters_to_try not accepted")
	}
	return &osdAPI{h: h, refs: 1}, nil
}

// acquire adds a holder of o and returns o.
func (o *osdAPI) acquire() *osdAPI {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refs++
	return o
}

// release lets go of o for one holder, and frees the instance when it was the last.
func (o *osdAPI) release() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.refs--; o.refs > 0 || o.h == nil {
		return
	}
	C.TessBaseAPIEnd(o.h)
	C.TessBaseAPIDelete(o.h)
	o.h = nil
}

// DetectOrientation finds how far the content of img is turned from upright, with Tesseract's
// orientation and script detection.
//
// When the page holds too little text to decide, it returns Degrees 0 with Confidence 0 and no
// error. Tesseract's confidence is unbounded; below about 2 the answer is unreliable.
// ctx is checked before detection starts.
func (e *Engine) DetectOrientation(ctx context.Context, img image.Image) (Orientation, error) {
	if err := ctx.Err(); err != nil {
		return Orientation{}, fmt.Errorf("ocr: detect orientation: %w", err)
	}
	if e.osd == nil {
		return Orientation{}, errors.New("ocr: detect orientation: engine is closed")
	}
	g := ToGray(img)
	if g.Bounds().Empty() {
		return Orientation{}, nil
	}
	for b := g.Bounds(); max(b.Dx(), b.Dy()) > osdMaxSide; b = g.Bounds() {
		g = halve(g)
	}
	b := g.Bounds()
	// Tesseract wants a resolution; assume the long side is that of an A4 page (11.69 in).
	ppi := int(float64(max(b.Dx(), b.Dy())) / 11.69)
	ppi = max(70, min(ppi, 2400))

	wins := osdWindows(g)
	if len(wins) == 0 {
		return Orientation{}, nil // no text anywhere: too little to decide
	}
	votes := map[int]float64{}
	for _, win := range wins {
		o, err := e.osd.detect(g.SubImage(win).(*image.Gray), ppi)
		if err != nil || o.Confidence >= osdRetryConfidence {
			return o, err
		}
		if o.Confidence >= 1 {
			votes[o.Degrees] += o.Confidence
		}
		if len(votes) == 1 && votes[o.Degrees] >= osdRetryConfidence {
			return Orientation{Degrees: o.Degrees, Confidence: votes[o.Degrees]}, nil
		}
	}
	return e.osd.detect(g, ppi)
}

// osdMinWindowEdges is the least number of ink edges, counted by osdWindows on every
// osdEdgeRowStep-th row, that a window needs to be tried: about two words of print at 300 dpi.
const (
	osdMinWindowEdges = 60
	osdEdgeRowStep    = 4
)

// osdInkLevels are the lowest and highest gray levels osdWindows takes as its ink threshold.
var osdInkLevels = [2]int{96, 160}

// osdWindows returns the windows of g, each osdWindow of its width and height, in which
// DetectOrientation looks for text: the middle of the page, when it has text, then the windows of a
// 3×3 grid over the page in decreasing order of text, at most osdMaxWindows in all. Text is
// counted as edges from paper to ink (Otsu's threshold, within osdInkLevels) on every osdEdgeRowStep-th row, which
// solid dark areas (scanner borders, pictures) have few of.
func osdWindows(g *image.Gray) []image.Rectangle {
	b := g.Bounds()
	w, h := int(float64(b.Dx())*osdWindow), int(float64(b.Dy())*osdWindow)
	if w == 0 || h == 0 {
		return nil
	}
	// Otsu's threshold, kept between osdInkLevels: on a page mostly of blank paper it would
	// separate shades of paper rather than ink from paper.
	thresh, _ := otsu(g)
	thresh = max(osdInkLevels[0], min(thresh, osdInkLevels[1]))
	// edges counts the paper-to-ink edges in r.
	edges := func(r image.Rectangle) int {
		n := 0
		for y := r.Min.Y; y < r.Max.Y; y += osdEdgeRowStep {
			row := g.Pix[g.PixOffset(r.Min.X, y):g.PixOffset(r.Max.X, y)]
			ink := true
			for _, v := range row {
				dark := int(v) < thresh
				if dark && !ink {
					n++
				}
				ink = dark
			}
		}
		return n
	}
	at := func(cx, cy float64) image.Rectangle {
		x := b.Min.X + int(cx*float64(b.Dx())) - w/2
		y := b.Min.Y + int(cy*float64(b.Dy())) - h/2
		return image.Rect(x, y, x+w, y+h).Intersect(b)
	}
	type cand struct {
		r image.Rectangle
		n int
	}
	var grid []cand
	for _, cy := range []float64{0.2, 0.5, 0.8} {
		for _, cx := range []float64{0.2, 0.5, 0.8} {
			if cx == 0.5 && cy == 0.5 {
				continue
			}
			r := at(cx, cy)
			grid = append(grid, cand{r, edges(r)})
		}
	}
	slices.SortStableFunc(grid, func(a, c cand) int { return c.n - a.n })
	var wins []image.Rectangle
	if mid := at(0.5, 0.5); edges(mid) >= osdMinWindowEdges {
		wins = append(wins, mid)
	}
	for _, c := range grid {
		if len(wins) == osdMaxWindows || c.n < osdMinWindowEdges {
			break
		}
		wins = append(wins, c.r)
	}
	return wins
}

// detect runs orientation detection on g, of ppi dots per inch.
func (o *osdAPI) detect(g *image.Gray, ppi int) (Orientation, error) {
	b := g.Bounds()
	if b.Empty() {
		return Orientation{}, nil
	}
	var deg C.int
	var conf C.float
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.h == nil {
		return Orientation{}, errors.New("ocr: detect orientation: engine is closed")
	}
	o.pixels += int64(b.Dx()) * int64(b.Dy())
	r := C.sohoa_osd_detect(o.h, (*C.l_uint8)(unsafe.Pointer(&g.Pix[0])),
		C.int(b.Dx()), C.int(b.Dy()), C.int(g.Stride), C.int(ppi), &deg, &conf)
	switch r {
	case 1:
		return Orientation{}, nil
	case 2:
		return Orientation{}, errors.New("ocr: detect orientation: out of memory")
	}
	// Tesseract reports the clockwise turn of the content; Orientation counts counter-clockwise.
	return Orientation{Degrees: (360 - int(deg)) % 360, Confidence: float64(conf)}, nil
}

// halve returns g reduced to half its width and height by averaging 2×2 blocks.
// The result's bounds start at (0, 0).
func halve(g *image.Gray) *image.Gray {
	b := g.Bounds()
	w, h := b.Dx()/2, b.Dy()/2
	dst := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		r0 := g.Pix[2*y*g.Stride : 2*y*g.Stride+2*w]
		r1 := g.Pix[(2*y+1)*g.Stride : (2*y+1)*g.Stride+2*w]
		d := dst.Pix[y*dst.Stride : y*dst.Stride+w]
		for x := range d {
			s := uint(r0[2*x]) + uint(r0[2*x+1]) + uint(r1[2*x]) + uint(r1[2*x+1])
			d[x] = uint8((s + 2) / 4)
		}
	}
	return dst
}
