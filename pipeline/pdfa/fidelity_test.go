package pdfa

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/pdfa/pdfatest"
	"github.com/sohoa-vn/sohoa/pipeline/turbojpeg"
)

// scanCrop returns an 800x800 crop of the colour sample tt-so-hoa-p01.tif (200 dpi, text and
// tinted paper) as an *image.NRGBA, the type deskewed colour pages have, and its gray copy.
func scanCrop(t *testing.T) (*image.NRGBA, *image.Gray) {
	t.Helper()
	src := loadImage(t, "tt-so-hoa-p01.tif")
	r := image.Rect(0, 0, 800, 800)
	c, g := image.NewNRGBA(r), image.NewGray(r)
	for y := range 800 {
		for x := range 800 {
			v := src.At(x+400, y+300)
			c.Set(x, y, v)
			g.Set(x, y, v)
		}
	}
	return c, g
}

// decodedPSNR decodes a page image written by EncodeImage as a PDF reader does (libjpeg) and
// returns its PSNR against src.
func decodedPSNR(t *testing.T, src image.Image, im Image) float64 {
	t.Helper()
	if im.Filter != DCT {
		t.Fatalf("%v image, want a JPEG", im.Filter)
	}
	dec, err := turbojpeg.Decode(im.Data)
	if err != nil {
		t.Fatal(err)
	}
	return pdfatest.PSNR(src, dec)
}

// TestFidelityTarget checks that EncodeImage meets the target and takes the smallest quality
// that does: the quality under the chosen one misses the target on the whole page or on the
// sample the search runs on.
func TestFidelityTarget(t *testing.T) {
	colour, gray := scanCrop(t)
	for _, c := range []struct {
		name string
		img  image.Image
	}{{"colour", colour}, {"gray", gray}} {
		prev := 0
		for _, target := range []float64{35, 37, 40} {
			im, err := EncodeImage(c.img, EncodeOptions{PSNR: target})
			if err != nil {
				t.Fatal(err)
			}
			v := decodedPSNR(t, c.img, im)
			t.Logf("%s, target %v dB: quality %d, %d bytes, %.2f dB (reported %.2f)", c.name, target, im.Quality, len(im.Data), v, im.PSNR)
			if v < target || math.Abs(v-im.PSNR) > 0.01 {
				t.Errorf("%s, target %v dB: %.2f dB, reported %.2f", c.name, target, v, im.PSNR)
			}
			want := byte(0xC0) // baseline
			if progressive {
				want = 0xC2
			}
			if f, err := scanJPEG(im.Data); err != nil || f.marker != want || im.Gray != (c.name == "gray") {
				t.Errorf("%s: frame %+v (%v), gray=%v: want SOF %#x, gray only for a gray page", c.name, f, err, im.Gray, want)
			}
			// Optimal Huffman tables: smaller than libjpeg-turbo's standard tables.
			std, err := turbojpeg.Encode(newReference(c.img).img, turbojpeg.Options{Quality: im.Quality, Subsampling: subsampling})
			if err != nil {
				t.Fatal(err)
			}
			if float64(len(im.Data)) > 0.97*float64(len(std)) {
				t.Errorf("%s: %d bytes, %d with the standard tables", c.name, len(im.Data), len(std))
			}
			if len(im.Data) <= prev {
				t.Errorf("%s: target %v dB takes %d bytes, a lower one %d", c.name, target, len(im.Data), prev)
			}
			prev = len(im.Data)
			ref := newReference(c.img)
			_, whole, err := ref.measure(turbojpeg.Options{Quality: im.Quality - 1, Subsampling: subsampling})
			if err != nil {
				t.Fatal(err)
			}
			_, sampled, err := ref.sample().measure(turbojpeg.Options{Quality: im.Quality - 1, Subsampling: subsampling})
			if err != nil {
				t.Fatal(err)
			}
			if whole >= target && sampled >= target {
				t.Errorf("%s, target %v dB: quality %d chosen, %d keeps %.2f dB (sample %.2f)", c.name, target, im.Quality, im.Quality-1, whole, sampled)
			}
		}
	}
}

// TestFidelityCheckedOnWholePage feeds the search a page whose sampled rows are blank paper
// and whose other rows are fine noise: the sample is met at the lowest quality, the page is
// not. The page must still meet the target.
func TestFidelityCheckedOnWholePage(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	img := image.NewGray(image.Rect(0, 0, 320, 320))
	for y := range 320 {
		for x := range 320 {
			v := uint8(235)
			if (y/sampleBand)%sampleEvery != 0 {
				v = uint8(100 + r.IntN(100))
			}
			img.SetGray(x, y, color.Gray{v})
		}
	}
	ref := newReference(img)
	_, sampled, err := ref.sample().measure(turbojpeg.Options{Quality: 10})
	if err != nil {
		t.Fatal(err)
	}
	if sampled < DefaultPSNR {
		t.Fatalf("the sample keeps %.1f dB at quality 10: the test page does not fool the sample", sampled)
	}
	im, err := EncodeImage(img, EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v := decodedPSNR(t, img, im)
	t.Logf("quality %d, %.2f dB (sample at quality 10: %.2f dB)", im.Quality, v, sampled)
	if v < DefaultPSNR {
		t.Errorf("page at %.2f dB, under the %v dB target", v, DefaultPSNR)
	}
}

// TestFixedQualityKeepsFloor checks that a fixed JPEG quality never takes a page under MinPSNR.
func TestFixedQualityKeepsFloor(t *testing.T) {
	colour, _ := scanCrop(t)
	im, err := EncodeImage(colour, EncodeOptions{JPEGQuality: 5})
	if err != nil {
		t.Fatal(err)
	}
	v := decodedPSNR(t, colour, im)
	t.Logf("quality 5 asked: quality %d, %.2f dB", im.Quality, v)
	if im.Quality <= 5 || v < MinPSNR {
		t.Errorf("quality %d, %.2f dB: under the %v dB floor", im.Quality, v, MinPSNR)
	}
}

// TestLosslessWhenNoJPEGReaches checks that a page no 4:2:0 JPEG keeps at the target (colour
// noise) is stored losslessly, in 24-bit colour, pixel for pixel.
func TestLosslessWhenNoJPEGReaches(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	im, err := EncodeImage(img, EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if im.Filter != Flate || im.Gray || im.BitsPerComponent != 8 || !math.IsInf(im.PSNR, 1) {
		t.Fatalf("%v gray=%v bpc=%d PSNR %v, want lossless 8-bit RGB Flate", im.Filter, im.Gray, im.BitsPerComponent, im.PSNR)
	}
	zr, err := zlib.NewReader(bytes.NewReader(im.Data))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 3*64*48 {
		t.Fatalf("%d bytes, want %d", len(raw), 3*64*48)
	}
	for i := range 64 * 48 {
		if !bytes.Equal(raw[3*i:3*i+3], img.Pix[4*i:4*i+3]) {
			t.Fatalf("pixel %d differs", i)
		}
	}
}

// checkSearch runs the quality search over v (v[q]: the PSNR at quality q) from many starting
// qualities, far under the answer, far above, at 1 and at 100, and checks what it finds: a
// quality that meets the target while the one under it misses it, and, where v grows with the
// quality, the smallest that meets the target.
func checkSearch(t *testing.T, name string, v *[101]float64, target float64) {
	t.Helper()
	first, monotone := 100, true
	for q := 100; q >= 1; q-- {
		if v[q] >= target {
			first = q
		}
		if q > 1 && v[q-1] > v[q] {
			monotone = false
		}
	}
	for _, start := range []int{1, 10, first - 20, first - 1, first, first + 1, first + 20, 90, 100} {
		q, trials, err := search(func(q int) (float64, error) { return v[q], nil }, target, 1, start)
		if err != nil {
			t.Fatal(err)
		}
		if v[q] < target && q != 100 || q > 1 && v[q-1] >= target {
			t.Errorf("%s, %v dB, start %d: quality %d (%.2f dB), %d (%.2f dB) under it", name, target, start, q, v[q], q-1, v[q-1])
		}
		if monotone && q != first {
			t.Errorf("%s, %v dB, start %d: quality %d, the smallest meeting the target is %d", name, target, start, q, first)
		}
		if trials > modelTrials+7 {
			t.Errorf("%s, %v dB, start %d: %d trials", name, target, start, trials)
		}
	}
}

// TestSearchFindsCrossing checks the quality search against every quality: on PSNR curves that
// grow with the quality (smooth, in steps, flat at the top) and on curves with dips, and on
// small images (under 256 rows, so that the search runs on the whole image), whose PSNR dips
// here and there.
func TestSearchFindsCrossing(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	curves := map[string]*[101]float64{}
	for _, k := range []float64{5, 10, 20, 40} {
		var smooth, steps, noisy [101]float64
		for q := 1; q <= 100; q++ {
			smooth[q] = 60 - k*logScale(q)
			steps[q] = 60 - k*math.Round(2*logScale(q))/2
			noisy[q] = smooth[q] + r.Float64() - 0.5
		}
		curves[fmt.Sprintf("smooth k=%v", k)] = &smooth
		curves[fmt.Sprintf("steps k=%v", k)] = &steps
		curves[fmt.Sprintf("noisy k=%v", k)] = &noisy
	}
	var exact [101]float64 // lossless from quality 90
	for q := 1; q <= 100; q++ {
		exact[q] = 50 - 10*logScale(q)
		if q >= 90 {
			exact[q] = math.Inf(1)
		}
	}
	curves["exact from 90"] = &exact

	colour, gray := scanCrop(t)
	grad := image.NewRGBA(image.Rect(0, 0, 120, 90))
	for y := range 90 {
		for x := range 120 {
			n := uint8(r.IntN(12))
			grad.SetRGBA(x, y, color.RGBA{uint8(2*x) + n, uint8(2*y) + n, 128 + n, 255})
		}
	}
	for name, img := range map[string]image.Image{
		"colour crop":    colour.SubImage(image.Rect(100, 200, 300, 360)),
		"gray crop":      gray.SubImage(image.Rect(300, 100, 500, 260)),
		"noisy gradient": grad,
	} {
		ref := newReference(img)
		if ref.sample() != ref {
			t.Fatalf("%s: sampled", name)
		}
		var v [101]float64
		for q := 1; q <= 100; q++ {
			var err error
			if v[q], err = ref.trial(q); err != nil {
				t.Fatal(err)
			}
		}
		curves[name] = &v
	}
	for name, v := range curves {
		for target := 30.0; target <= 60; target += 0.5 {
			checkSearch(t, name, v, target)
		}
	}
}

// TestSearchFewerTrials checks the point of the model: on the colour and gray scan crop, at 35,
// 37 and 40 dB, the search takes fewer trials in all than a bisection over 1..100 would (7 a
// target), and finds the quality a bisection finds.
func TestSearchFewerTrials(t *testing.T) {
	colour, gray := scanCrop(t)
	total, bisected := 0, 0
	for _, img := range []image.Image{colour, gray} {
		s := newReference(img).sample()
		for _, target := range []float64{35, 37, 40} {
			lo, hi := 1, 100
			for lo < hi {
				mid := (lo + hi) / 2
				_, v, err := s.measure(turbojpeg.Options{Quality: mid, Subsampling: subsampling})
				if err != nil {
					t.Fatal(err)
				}
				bisected++
				if v >= target {
					hi = mid
				} else {
					lo = mid + 1
				}
			}
			q, trials, err := search(s.trial, target, 1, searchStart)
			if err != nil {
				t.Fatal(err)
			}
			total += trials
			t.Logf("%T, %v dB: quality %d in %d trials (bisection: quality %d)", img, target, q, trials, hi)
			if q != hi {
				t.Errorf("%T, %v dB: quality %d, a bisection finds %d", img, target, q, hi)
			}
		}
	}
	t.Logf("%d trials, a bisection %d", total, bisected)
	if total >= bisected*3/4 {
		t.Errorf("%d trials, a bisection %d: less than a quarter saved", total, bisected)
	}
}
