package ocr

/*
#cgo LDFLAGS: -lleptonica
#include <leptonica/allheaders.h>

// sohoa_find_skew binarises an 8-bit gray image (pixels darker than thresh are ink) into a
// 1-bpp PIX and runs Leptonica's sweep-and-search skew finder on it. It returns 0 on success.
static int sohoa_find_skew(const l_uint8 *buf, int w, int h, int stride, int thresh,
		int redsweep, int redsearch, float sweeprange, float sweepdelta,
		float *angle, float *conf) {
	PIX *pix = pixCreate(w, h, 1);
	if (pix == NULL) return 1;
	l_uint32 *data = pixGetData(pix);
	int wpl = pixGetWpl(pix);
	for (int y = 0; y < h; y++) {
		const l_uint8 *s = buf + (size_t)y * stride;
		l_uint32 *line = data + (size_t)y * wpl;
		for (int x0 = 0; x0 < w; x0 += 32) {
			int n = w - x0 < 32 ? w - x0 : 32;
			l_uint32 word = 0;
			for (int i = 0; i < n; i++) {
				word |= (l_uint32)(s[x0 + i] < thresh) << (31 - i);
			}
			line[x0 / 32] = word;
		}
	}
	l_float32 a = 0, c = 0, endscore = 0;
	l_int32 r = pixFindSkewSweepAndSearchScorePivot(pix, &a, &c, &endscore,
		redsweep, redsearch, 0.0, sweeprange, sweepdelta, 0.01, L_SHEAR_ABOUT_CENTER);
	pixDestroy(&pix);
	*angle = a;
	*conf = c;
	return r;
}
*/
import "C"

import (
	"errors"
	"image"
	"unsafe"
)

// Parameters of the skew search. The sweep covers ±skewSweepRange degrees in steps of
// skewSweepDelta on an image reduced skewSweepReduction times, then a binary search refines
// the best angle on an image reduced skewSearchReduction times.
const (
	skewSweepRange      = 12.0
	skewSweepDelta      = 1.0
	skewSweepReduction  = 4
	skewSearchReduction = 2
)

// DetectSkew finds the skew of an upright page (Leptonica, through cgo), for skews of at least ±10°.
//
// The page is binarised with Otsu's threshold and the angle is found by Leptonica's
// sweep-and-search over differential line sums, within ±12°. Confidence is Leptonica's ratio of
// the best score to the worst; Leptonica trusts angles with a confidence of at least 3. On a blank
// page or one with too little text, DetectSkew returns the zero Skew and no error.
func DetectSkew(img image.Image) (Skew, error) {
	g := ToGray(img)
	b := g.Bounds()
	if b.Dx() < 32 || b.Dy() < 32 {
		return Skew{}, nil
	}
	thresh, ink := otsu(g)
	if ink < minInk*float64(b.Dx()*b.Dy()) {
		return Skew{}, nil // blank page
	}
	var angle, conf C.float
	r := C.sohoa_find_skew((*C.l_uint8)(unsafe.Pointer(&g.Pix[0])), C.int(b.Dx()), C.int(b.Dy()),
		C.int(g.Stride), C.int(thresh), skewSweepReduction, skewSearchReduction,
		skewSweepRange, skewSweepDelta, &angle, &conf)
	if r != 0 {
		return Skew{}, errors.New("ocr: detect skew: leptonica failed")
	}
	// Leptonica's angle, like Skew's, is positive for content turned counter-clockwise.
	if conf <= 0 {
		return Skew{}, nil
	}
	return Skew{Degrees: float64(angle), Confidence: float64(conf)}, nil
}

// minInk is the smallest share of ink pixels in which DetectSkew looks for a skew.
const minInk = 0.0005

// otsu returns the gray level that best separates ink from paper in g by Otsu's method
// (pixels below it are ink) and the number of ink pixels. On a uniform image it returns 0, 0.
func otsu(g *image.Gray) (thresh int, ink float64) {
	var hist [256]int
	b := g.Bounds()
	w := b.Dx()
	for y := 0; y < b.Dy(); y++ {
		for _, v := range g.Pix[y*g.Stride : y*g.Stride+w] {
			hist[v]++
		}
	}
	total := w * b.Dy()
	var sumAll float64
	for i, n := range hist {
		sumAll += float64(i * n)
	}
	var sumB float64
	var wB int
	best, bestVar := 0, -1.0
	for t := 0; t < 256; t++ {
		wB += hist[t]
		if wB == 0 {
			continue
		}
		wF := total - wB
		if wF == 0 {
			break
		}
		sumB += float64(t * hist[t])
		mB := sumB / float64(wB)
		mF := (sumAll - sumB) / float64(wF)
		v := float64(wB) * float64(wF) * (mB - mF) * (mB - mF)
		if v > bestVar {
			bestVar, best = v, t+1
		}
	}
	var n int
	for _, c := range hist[:best] {
		n += c
	}
	return best, float64(n)
}
