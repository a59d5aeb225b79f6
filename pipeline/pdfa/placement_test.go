package pdfa

import (
	"bytes"
	"context"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/pdfa/pdfatest"
)

// TestImagePlacement checks that a losslessly stored page image comes back
// pixel for pixel from pdftoppm (poppler's Splash) at the page's resolution,
// for page sizes and resolutions where the page edge falls on a whole pixel
// and where rounding of the page size to 1/1000 pt puts it just past one, and
// within a hair of it from pdftocairo. Noise is the hardest image for this:
// any resampling or shift shows (drawn exactly over the page, Splash stretched
// it by one pixel: 12.5 dB).
func TestImagePlacement(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct{ w, h, dpi int }{
		{401, 577, 72}, {400, 578, 150}, {401, 577, 200}, {400, 578, 254}, {401, 577, 300}, {401, 577, 600},
	}
	if testing.Short() {
		cases = cases[2:4]
	}
	for _, c := range cases {
		src := image.NewGray(image.Rect(0, 0, c.w, c.h))
		for i := range src.Pix {
			src.Pix[i] = uint8(rng.IntN(256))
		}
		d := float64(c.dpi)
		var buf bytes.Buffer
		if err := Write(context.Background(), &buf, []Page{{Image: flateImage(t, src), DPIX: d, DPIY: d}}, Metadata{}, Options{}); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "p.pdf")
		if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		splash := pdfatest.Render(t, "pdftoppm", file, 1, c.dpi)
		if p := pdfatest.PSNR(src, splash); !math.IsInf(p, 1) {
			t.Errorf("%dx%d at %d dpi: pdftoppm PSNR %.2f dB, want identical pixels", c.w, c.h, c.dpi, p)
		}
		if r := splash.Bounds(); r.Dx() < c.w || r.Dy() < c.h || r.Dx() > c.w+1 || r.Dy() > c.h+1 {
			t.Errorf("%dx%d at %d dpi: pdftoppm rendered %v", c.w, c.h, c.dpi, r.Size())
		}
		if p := pdfatest.PSNR(src, pdfatest.Render(t, "pdftocairo", file, 1, c.dpi)); p < 60 {
			t.Errorf("%dx%d at %d dpi: pdftocairo PSNR %.2f dB, want >= 60 dB", c.w, c.h, c.dpi, p)
		}
	}
}
