package pdfa

import (
	"bytes"
	"compress/zlib"
	"errors"
	"image"
	"image/draw"
	"math"

	"github.com/sohoa-vn/sohoa/pipeline/turbojpeg"
)

// DefaultPSNR is the fidelity EncodeImage aims at when EncodeOptions.PSNR is 0: the page image,
// as a PDF reader renders it at the scan's resolution, within 37 dB PSNR of the normalized page
// (2 dB above MinPSNR).
const DefaultPSNR = 37.0

// MinPSNR is the lowest fidelity target EncodeImage accepts, and the fidelity every page image
// keeps even when a JPEG quality is fixed: 35 dB PSNR against the normalized page.
const MinPSNR = 35.0

// The rendering of a page at the scan's resolution is the decoded JPEG itself: the image is
// placed 1:1 on the pixel grid (imagePlacement, TestImagePlacement) and poppler decodes JPEG
// with libjpeg's accurate inverse transform and smooth chroma upsampling, as turbojpeg.Decode
// does (TestFidelityMatchesRendering checks it against pdftoppm). So the PSNR of a candidate
// encoding is measured on its decoded pixels, without writing or rendering a PDF.

// reference is a page image prepared for measuring encodings of it: its samples packed with
// origin (0, 0), one byte a pixel (gray) or four (RGBA, the fourth ignored).
type reference struct {
	img  image.Image // the same pixels, as the encoder reads them: *image.Gray or *image.RGBA
	pix  []byte
	w, h int
	size int // bytes a pixel: 1 or 4
}

// newReference prepares img. A gray image stays one channel; anything else is RGB.
func newReference(img image.Image) *reference {
	b := img.Bounds()
	r := &reference{w: b.Dx(), h: b.Dy()}
	switch m := img.(type) {
	case *image.Gray:
		if m.Rect.Min != (image.Point{}) || m.Stride != m.Rect.Dx() {
			c := image.NewGray(image.Rect(0, 0, r.w, r.h))
			draw.Draw(c, c.Rect, m, b.Min, draw.Src)
			m = c
		}
		r.img, r.pix, r.size = m, m.Pix, 1
		return r
	case *image.NRGBA:
		if m.Opaque() && m.Rect.Min == (image.Point{}) && m.Stride == 4*m.Rect.Dx() {
			rgba := &image.RGBA{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect}
			r.img, r.pix, r.size = rgba, rgba.Pix, 4
			return r
		}
	case *image.RGBA:
		if m.Rect.Min == (image.Point{}) && m.Stride == 4*m.Rect.Dx() {
			r.img, r.pix, r.size = m, m.Pix, 4
			return r
		}
	}
	rgba := image.NewRGBA(image.Rect(0, 0, r.w, r.h))
	draw.Draw(rgba, rgba.Rect, img, b.Min, draw.Src)
	r.img, r.pix, r.size = rgba, rgba.Pix, 4
	return r
}

// psnr returns the PSNR in dB of an encoding of r whose decoded samples differ from r's by se
// (the sum of the squared differences over gray or RGB samples); +Inf when they are equal.
func (r *reference) psnr(se uint64) float64 {
	if se == 0 {
		return math.Inf(1)
	}
	n := float64(r.w * r.h)
	if r.size == 4 {
		n *= 3
	}
	return 10 * math.Log10(255*255*n/float64(se))
}

// sampleBand, sampleEvery: the quality search runs on a sample of the page, the rows of every
// sampleEvery-th band of sampleBand rows (a whole number of JPEG blocks, so that the sample's
// blocks hold the same pixels as the page's); the chosen quality is then checked on the whole page.
const (
	sampleBand  = 16
	sampleEvery = 4
)

// sample returns the reference of a sample of r's rows, or r itself when r is too small to sample.
func (r *reference) sample() *reference {
	bands := r.h / sampleBand / sampleEvery
	if bands < 4 {
		return r
	}
	s := &reference{w: r.w, h: bands * sampleBand, size: r.size}
	row := r.w * r.size
	s.pix = make([]byte, 0, s.h*row)
	for k := range bands {
		y := k * sampleBand * sampleEvery
		s.pix = append(s.pix, r.pix[y*row:(y+sampleBand)*row]...)
	}
	rect := image.Rect(0, 0, s.w, s.h)
	if r.size == 1 {
		s.img = &image.Gray{Pix: s.pix, Stride: row, Rect: rect}
	} else {
		s.img = &image.RGBA{Pix: s.pix, Stride: row, Rect: rect}
	}
	return s
}

// measure encodes r as o says and returns the JPEG and its PSNR against r.
func (r *reference) measure(o turbojpeg.Options) ([]byte, float64, error) {
	data, err := turbojpeg.Encode(r.img, o)
	if err != nil {
		return nil, 0, err
	}
	// Decoded a band of rows at a time and compared as it goes: the decoded page is never held.
	se, err := turbojpeg.SquaredError(data, r.pix, r.w, r.h, r.size == 1)
	if err != nil {
		return nil, 0, err
	}
	return data, r.psnr(se), nil
}

// errTargetMissed: no JPEG quality reaches the fidelity target.
var errTargetMissed = errors.New("no JPEG quality reaches the fidelity target")

// subsampling is the chroma subsampling of colour page images: at the same PSNR (37 dB), 4:2:0
// took 12% fewer bytes than 4:4:4 over the 17 colour scans among the pages of
// pipeline.BenchmarkBytesVsOCRmyPDF (fewer on 16 of them; measured on the scans as made).
const subsampling = turbojpeg.S420

// progressive chooses the coding of the page images: progressive JPEG (optimal Huffman tables
// too) or, when false, baseline JPEG with optimal Huffman tables. On the pages of
// testdata/samples at the qualities chosen for 37 dB, progressive JPEGs are 5% smaller (6%
// under Flate) but take three times the CPU to write (134 ms a page against 44: the largest
// cost of EncodeImage); the pixels, so the PSNR and the quality chosen, are the same. On the 24
// degraded pages of pipeline.BenchmarkBytesVsOCRmyPDF, baseline stores 5.9% more image bytes
// (with Flate over the JPEG where it helps): about 0.46 times OCRmyPDF's bytes a page instead
// of 0.44, well under the 0.7 aimed at.
const progressive = false

// final returns the options of a page image's JPEG at quality q.
func final(q int) turbojpeg.Options {
	return turbojpeg.Options{Quality: q, Subsampling: subsampling, Progressive: progressive, Optimize: true}
}

// smallestJPEG returns the JPEG of r (final: baseline with optimal Huffman tables, or
// progressive) at the smallest quality from lo to 100 whose decoded pixels stay at or above
// target dB PSNR against r, with its quality and PSNR. The quality is searched on a sample of
// the page (search), then checked on the whole page and raised while the whole page misses the
// target. It returns errTargetMissed when even quality 100 misses it.
//
// "Smallest" is as the PSNR grows with the quality, which it does but for dips of up to about
// half a dB on the samples (and a peak at a JPEG original's own quality): the chosen quality q
// meets the target on the whole page, and q-1 misses it on the sample or, where the whole page
// raised q, on the whole page (q = lo aside). Where the sample's PSNR dips, q is one of the
// qualities where it crosses the target, not always the lowest (as with the bisection before;
// on the 24 degraded pages of pipeline.BenchmarkBytesVsOCRmyPDF the search chose the
// bisection's quality on 22 pages and a lower one on 2).
func (r *reference) smallestJPEG(target float64, lo int) (data []byte, q int, v float64, err error) {
	hi, _, err := search(r.sample().trial, target, lo, searchStart)
	if err != nil {
		return nil, 0, 0, err
	}
	for q = hi; q <= 100; q++ {
		data, v, err = r.measure(final(q))
		if err != nil {
			return nil, 0, 0, err
		}
		if v >= target {
			return data, q, v, nil
		}
	}
	return nil, 0, v, errTargetMissed
}

// searchStart is the quality search's first trial: about the middle of the qualities chosen at
// 37 dB for the pages of testdata/samples (24 to 71), which pipeline.BenchmarkProcessVsTesseract
// processes.
const searchStart = 50

// trial returns the PSNR of a baseline JPEG of r at quality q (what search tries).
func (r *reference) trial(q int) (float64, error) {
	_, v, err := r.measure(turbojpeg.Options{Quality: q, Subsampling: subsampling})
	return v, err
}

// search returns a quality q from lo to 100 at which trial (the PSNR at a quality) keeps target
// dB while q-1 does not (q = lo when lo keeps it; 100, untried, when no quality tried under 100
// does), and how many trials it took: where the PSNR grows with the quality, the quality a
// bisection finds. It keeps a bisection's bracket (lo-1 missed, hi met or is 100) but tries
// first the quality start, then those a model of the PSNR predicts (psnrModel), so that the
// pages of testdata/samples take 4 to 5 trials instead of a bisection's 7 over 1..100 (90
// against 145 over the 4 pages, the 3 colour ones also in gray, at 35, 37 and 40 dB; the same
// quality in 19 of the 21 cases, all 7 at 37 dB); where the model keeps missing, it bisects.
func search(trial func(q int) (float64, error), target float64, lo, start int) (q, trials int, err error) {
	hi := 100 // the smallest quality known to meet the target, or 100
	var m psnrModel
	for lo < hi {
		var probe int
		switch {
		case trials == 0:
			probe = start
		case trials < modelTrials:
			probe = m.predict(target)
		}
		if probe == 0 {
			probe = (lo + hi) / 2
		}
		probe = min(max(probe, lo), hi-1)
		v, err := trial(probe)
		if err != nil {
			return 0, trials, err
		}
		trials++
		if v >= target {
			hi = probe
			m.pass = point{probe, v, true}
		} else {
			lo = probe + 1
			m.miss = point{probe, v, true}
		}
	}
	return hi, trials, nil
}

// modelTrials: the search follows its model for this many trials (the first at start), then
// bisects.
const modelTrials = 6

// psnrModel predicts the PSNR of a JPEG from its quality. libjpeg scales its quantisation
// tables by scale(q) (5000/q under quality 50, 200-2q from 50), and the PSNR of a page falls
// about linearly with the logarithm of the quantisation step: PSNR = a - k*log10(scale). The
// model is fitted on the two trials nearest the target, the lowest that met it and the highest
// that missed it, or, with one of them only, on it and a typical slope.
type psnrModel struct {
	pass, miss point // the lowest trial that met the target, the highest that missed it
}

// point is a trial: a quality and the PSNR it kept.
type point struct {
	q   int
	v   float64
	set bool
}

// defaultSlope is k, in dB for a tenfold quantisation step, where one trial cannot give it: 7
// to 18 on the scans of testdata/samples from quality 20 to 90; 10 took the fewest trials.
const defaultSlope = 10.0

// logScale is log10 of libjpeg's table scaling at quality q (its quality 100 keeps every
// table entry at 1, as scale 1 nearly does).
func logScale(q int) float64 {
	s := 200 - 2*float64(q)
	if q < 50 {
		s = 5000 / float64(q)
	}
	return math.Log10(max(s, 1))
}

// predict returns the lowest quality at which the model's PSNR reaches target, or 0 when it
// cannot tell. With trials on one side of the target only, it aims searchMargin beyond the
// target, so that the next trial likely falls on the other side and brackets the answer.
func (m *psnrModel) predict(target float64) int {
	k, p := defaultSlope, m.pass
	switch {
	case m.pass.set && m.miss.set:
		if d := logScale(m.miss.q) - logScale(m.pass.q); d > 0 && m.pass.v > m.miss.v && !math.IsInf(m.pass.v, 1) {
			k = (m.pass.v - m.miss.v) / d
		}
		if math.IsInf(p.v, 1) { // an exact encoding says nothing of the slope
			p = m.miss
		}
	case m.pass.set:
		if math.IsInf(p.v, 1) {
			return 0
		}
		target -= searchMargin
	default:
		p = m.miss
		target += searchMargin
	}
	x := logScale(p.q) + (p.v-target)/k // the log scale at which the PSNR is target
	for q := 1; q < 100; q++ {
		if logScale(q) <= x {
			return q
		}
	}
	return 100
}

// searchMargin, in dB, is about the unevenness of the PSNR from one quality to the next (the
// margin that took the fewest trials on the pages of testdata/samples, with modelTrials).
const searchMargin = 0.5

// fixedJPEG returns the JPEG of r (final) at quality q, or at the smallest higher quality
// that keeps MinPSNR when q does not.
func (r *reference) fixedJPEG(q int) (data []byte, _ int, v float64, err error) {
	data, v, err = r.measure(final(q))
	if err != nil || v >= MinPSNR {
		return data, q, v, err
	}
	if q == 100 {
		return nil, 0, v, errTargetMissed
	}
	return r.smallestJPEG(MinPSNR, q+1)
}

// lossless returns r's samples, 8-bit gray or RGB rows, compressed with zlib.
func (r *reference) lossless() []byte {
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.DefaultCompression) // a valid level: no error
	if r.size == 1 {
		zw.Write(r.pix) // writes to a bytes.Buffer do not fail
	} else {
		row := make([]byte, 3*r.w)
		for y := range r.h {
			src := r.pix[y*4*r.w : (y+1)*4*r.w]
			for x := range r.w {
				copy(row[3*x:3*x+3], src[4*x:4*x+3])
			}
			zw.Write(row)
		}
	}
	zw.Close()
	return buf.Bytes()
}
