package ocr

/*
#cgo LDFLAGS: -ltesseract -lleptonica
#include <stdlib.h>
#include <leptonica/allheaders.h>
#include <tesseract/capi.h>

// sohoa_set_image hands Tesseract the image encoded in buf (a BMP), reduced by scale when
// scale is below 1 (Leptonica's pixScale: linear interpolation and sharpening), and sets the
// resolution to 70 dpi when the image carries none, as gosseract did. It returns 0 on success,
// 1 when Leptonica cannot read buf or reduce it.
static int sohoa_set_image(TessBaseAPI *h, const l_uint8 *buf, size_t n, float scale) {
	PIX *pix = pixReadMem(buf, n);
	if (pix == NULL) return 1;
	if (scale < 1) {
		PIX *small = pixScale(pix, scale, scale);
		pixDestroy(&pix);
		if (small == NULL) return 1;
		pix = small;
	}
	TessBaseAPISetImage2(h, pix);
	pixDestroy(&pix);
	if (TessBaseAPIGetSourceYResolution(h) < 70) TessBaseAPISetSourceResolution(h, 70);
	return 0;
}

// sohoa_word is one recognised word. text belongs to Tesseract: free it with TessDeleteText.
typedef struct {
	char *text;
	float conf;
	int x1, y1, x2, y2;
	int block, para, line; // counted from 1 on the page, as in Tesseract's TSV output
} sohoa_word;

// sohoa_next_word reads the word ri is at into w and moves ri to the next word, skipping
// blocks without words (pictures, lines). w's numbers carry over from the previous word.
// It returns 0 at the end of the page, 1 when w holds a word.
static int sohoa_next_word(TessResultIterator *ri, sohoa_word *w) {
	TessPageIterator *pi = TessResultIteratorGetPageIterator(ri);
	int l, t, r, b;
	for (;;) {
		// A bounding box exists exactly when the iterator is not empty at that level.
		if (!TessPageIteratorBoundingBox(pi, RIL_BLOCK, &l, &t, &r, &b)) return 0;
		if (TessPageIteratorBoundingBox(pi, RIL_WORD, &w->x1, &w->y1, &w->x2, &w->y2)) break;
		TessResultIteratorNext(ri, RIL_WORD);
	}
	if (TessPageIteratorIsAtBeginningOf(pi, RIL_BLOCK)) { w->block++; w->para = 0; w->line = 0; }
	if (TessPageIteratorIsAtBeginningOf(pi, RIL_PARA)) { w->para++; w->line = 0; }
	if (TessPageIteratorIsAtBeginningOf(pi, RIL_TEXTLINE)) w->line++;
	w->text = TessResultIteratorGetUTF8Text(ri, RIL_WORD);
	w->conf = TessResultIteratorConfidence(ri, RIL_WORD);
	TessResultIteratorNext(ri, RIL_WORD);
	return 1;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"math"
	"unsafe"
)

// tessAPI is a Tesseract instance for recognition. Every result it takes from Tesseract (the
// result iterator, each word's text) is freed before a call returns, and the page's results
// are cleared after reading, so its C memory does not grow with the pages recognised.
type tessAPI struct {
	h *C.TessBaseAPI
	// keepChoices makes words keep the LSTM's alternatives of the last page in choices
	// (Tesseract variable lstm_choice_mode 2), read before the page's results are cleared.
	keepChoices bool
	choices     map[image.Rectangle][][]choice
}

// tessBox is one word as Tesseract reports it, in the coordinates of the image it was given.
type tessBox struct {
	Box                    image.Rectangle
	Word                   string
	Confidence             float64
	Block, Paragraph, Line int
}

// newTessAPI starts Tesseract with langs ("vie+eng") from tessdataDir (Tesseract's default
// when empty) and sets vars after initialisation. It fails when the data cannot be loaded or a
// variable is not accepted.
func newTessAPI(tessdataDir, langs string, vars map[string]string) (*tessAPI, error) {
	h := C.TessBaseAPICreate()
	if h == nil {
		return nil, errors.New("cannot create Tesseract instance")
	}
	t := &tessAPI{h: h}
	var dir *C.char
	if tessdataDir != "" {
		dir = C.CString(tessdataDir)
		defer C.free(unsafe.Pointer(dir))
	}
	lang := C.CString(langs)
	defer C.free(unsafe.Pointer(lang))
	if C.TessBaseAPIInit3(h, dir, lang) != 0 {
		t.close()
		return nil, fmt.Errorf("cannot load languages %q (tessdata %q)", langs, tessdataDir)
	}
	for k, v := range vars {
		ck, cv := C.CString(k), C.CString(v)
		ok := C.TessBaseAPISetVariable(h, ck, cv)
		C.free(unsafe.Pointer(ck))
		C.free(unsafe.Pointer(cv))
		if ok == 0 {
			t.close()
			return nil, fmt.Errorf("variable %s=%q not accepted", k, v)
		}
	}
	return t, nil
}

// setVariable sets the Tesseract variable name to value.
func (t *tessAPI) setVariable(name, value string) error {
	cn, cv := C.CString(name), C.CString(value)
	defer C.free(unsafe.Pointer(cn))
	defer C.free(unsafe.Pointer(cv))
	if C.TessBaseAPISetVariable(t.h, cn, cv) == 0 {
		return fmt.Errorf("variable %s=%q not accepted", name, value)
	}
	return nil
}

func (t *tessAPI) close() {
	if t.h == nil {
		return
	}
	C.TessBaseAPIEnd(t.h)
	C.TessBaseAPIDelete(t.h)
	t.h = nil
}

// words recognises the image encoded in bmp (see appendBMP), reduced by scale when scale is
// below 1, and returns its words in Tesseract's order, blocks without words left out. Word
// boxes are in the coordinates of bmp's image, whatever the scale: the reduced image's boxes are
// scaled back and rounded outwards.
func (t *tessAPI) words(bmp []byte, scale float64) ([]tessBox, error) {
	if len(bmp) == 0 {
		return nil, errors.New("empty image")
	}
	if C.sohoa_set_image(t.h, (*C.l_uint8)(unsafe.Pointer(&bmp[0])), C.size_t(len(bmp)), C.float(scale)) != 0 {
		return nil, errors.New("Leptonica cannot read the page image")
	}
	defer C.TessBaseAPIClear(t.h)
	if C.TessBaseAPIRecognize(t.h, nil) != 0 {
		return nil, errors.New("Tesseract recognition failed")
	}
	t.choices = nil
	if t.keepChoices {
		t.choices = wordChoices(t.h)
	}
	ri := C.TessBaseAPIGetIterator(t.h)
	if ri == nil {
		return nil, nil
	}
	defer C.TessResultIteratorDelete(ri)
	var out []tessBox
	var w C.sohoa_word
	for C.sohoa_next_word(ri, &w) != 0 {
		b := tessBox{
			Box:        scaleBack(image.Rect(int(w.x1), int(w.y1), int(w.x2), int(w.y2)), scale),
			Confidence: float64(w.conf),
			Block:      int(w.block),
			Paragraph:  int(w.para),
			Line:       int(w.line),
		}
		if w.text != nil {
			b.Word = C.GoString(w.text)
			C.TessDeleteText(w.text)
			w.text = nil
		}
		out = append(out, b)
	}
	return out, nil
}

// scaleBack returns r, a box on an image reduced by scale, in the coordinates of the image
// before reduction, rounded outwards. A scale of 1 or more returns r.
func scaleBack(r image.Rectangle, scale float64) image.Rectangle {
	if scale >= 1 || scale <= 0 {
		return r
	}
	return image.Rect(int(math.Floor(float64(r.Min.X)/scale)), int(math.Floor(float64(r.Min.Y)/scale)),
		int(math.Ceil(float64(r.Max.X)/scale)), int(math.Ceil(float64(r.Max.Y)/scale)))
}
