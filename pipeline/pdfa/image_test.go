package pdfa

import (
	"bytes"
	"compress/zlib"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/pdfa/pdfatest"
)

func TestEncodeImage(t *testing.T) {
	gray := image.NewGray(image.Rect(10, 20, 110, 70)) // origin not at 0,0
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i)
	}
	bitonal := image.NewGray(image.Rect(5, 5, 21, 8)) // 16x3, rows of two bytes
	for y := 5; y < 8; y++ {
		for x := 5; x < 21; x++ {
			if (x+y)%3 == 0 {
				bitonal.SetGray(x, y, color.Gray{255})
			}
		}
	}
	rgba := image.NewRGBA(image.Rect(0, 0, 64, 32)) // smooth colours: a JPEG keeps them
	for y := range 32 {
		for x := range 64 {
			rgba.SetRGBA(x, y, color.RGBA{uint8(4 * x), uint8(8 * y), uint8(200 - 2*x), 255})
		}
	}
	// A YCbCr image whose colours are all gray must stay RGB: only *image.Gray is gray.
	ycc := image.NewYCbCr(image.Rect(0, 0, 32, 32), image.YCbCrSubsampleRatio420)
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = 128, 128
	}

	for _, c := range []struct {
		name   string
		img    image.Image
		filter Filter
		gray   bool
		bpc    int
	}{
		{"gray", gray, DCT, true, 8},
		{"bitonal", bitonal, Flate, true, 1},
		{"rgba", rgba, DCT, false, 8},
		{"ycbcr", ycc, DCT, false, 8},
	} {
		t.Run(c.name, func(t *testing.T) {
			im, err := EncodeImage(c.img, EncodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			b := c.img.Bounds()
			if im.Filter != c.filter || im.Gray != c.gray || im.BitsPerComponent != c.bpc || im.Width != b.Dx() || im.Height != b.Dy() {
				t.Fatalf("got %v gray=%v bpc=%d %dx%d", im.Filter, im.Gray, im.BitsPerComponent, im.Width, im.Height)
			}
			if im.Filter == DCT {
				cfg, err := jpeg.DecodeConfig(bytes.NewReader(im.Data))
				if err != nil {
					t.Fatal(err)
				}
				if (cfg.ColorModel == color.GrayModel) != c.gray {
					t.Errorf("JPEG colour model %T, want gray=%v", cfg.ColorModel, c.gray)
				}
				return
			}
			// Bitonal is lossless: unpack and compare every pixel.
			zr, err := zlib.NewReader(bytes.NewReader(im.Data))
			if err != nil {
				t.Fatal(err)
			}
			raw, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			stride := (im.Width + 7) / 8
			if len(raw) != stride*im.Height {
				t.Fatalf("%d bytes, want %d", len(raw), stride*im.Height)
			}
			for y := range im.Height {
				for x := range im.Width {
					white := raw[y*stride+x/8]&(0x80>>(x%8)) != 0
					if white != (bitonal.GrayAt(b.Min.X+x, b.Min.Y+y).Y == 255) {
						t.Fatalf("pixel %d,%d differs", x, y)
					}
				}
			}
		})
	}

	for name, o := range map[string]EncodeOptions{
		"quality 101": {JPEGQuality: 101}, "quality -1": {JPEGQuality: -1},
		"PSNR 34.9 (under the floor)": {PSNR: 34.9}, "PSNR NaN": {PSNR: math.NaN()}, "PSNR 101": {PSNR: 101},
	} {
		if _, err := EncodeImage(gray, o); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := EncodeImage(image.NewGray(image.Rect(0, 0, 0, 5)), EncodeOptions{}); err == nil {
		t.Error("empty image accepted")
	}
	small, _ := EncodeImage(rgba, EncodeOptions{JPEGQuality: 50})
	big, _ := EncodeImage(rgba, EncodeOptions{JPEGQuality: 100})
	if small.Quality != 50 || big.Quality != 100 || len(small.Data) >= len(big.Data) {
		t.Errorf("quality ignored: q%d %d bytes, q%d %d bytes", small.Quality, len(small.Data), big.Quality, len(big.Data))
	}
}

func TestPassThroughJPEG(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(samples, "bb-giao-nhan-p01.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	im, err := PassThroughJPEG(data)
	if err != nil {
		t.Fatal(err)
	}
	if im.Width != 1700 || im.Height != 2370 || im.Gray || im.Filter != DCT || im.BitsPerComponent != 8 || !bytes.Equal(im.Data, data) {
		t.Fatalf("got %dx%d gray=%v %v", im.Width, im.Height, im.Gray, im.Filter)
	}

	// Embedded as is: pdfimages gives back the very same bytes.
	var buf bytes.Buffer
	if err := Write(context.Background(), &buf, []Page{{Image: im, DPIX: 200, DPIY: 200}}, Metadata{}, Options{Part: PDFA1B}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "p.pdf")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	pdfatest.Tool(t, "pdfimages", "-j", file, filepath.Join(dir, "x"))
	got, err := os.ReadFile(filepath.Join(dir, "x-000.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Error("embedded JPEG differs from the original file")
	}
	if out, ok := pdfatest.Preflight(t, file); !ok {
		t.Errorf("Preflight (page without text):\n%s", out)
	}

	var g bytes.Buffer
	jpeg.Encode(&g, image.NewGray(image.Rect(0, 0, 40, 30)), nil)
	if im, err := PassThroughJPEG(g.Bytes()); err != nil || !im.Gray || im.Width != 40 || im.Height != 30 {
		t.Errorf("gray JPEG: %+v, %v", im, err)
	}

	// Change the start-of-frame of a valid JPEG.
	sof := bytes.Index(data, []byte{0xFF, 0xC0})
	patch := func(off int, v byte) []byte {
		b := bytes.Clone(data)
		b[sof+4+off] = v
		return b
	}
	cmyk := append([]byte{0xFF, 0xD8, 0xFF, 0xC0, 0, 20, 8, 0, 10, 0, 10, 4}, make([]byte, 12)...)
	cmyk = append(cmyk, 0xFF, 0xD9)
	for name, bad := range map[string][]byte{
		"12-bit":     patch(0, 12),
		"CMYK":       cmyk,
		"lossless":   append([]byte{0xFF, 0xD8, 0xFF, 0xC3, 0, 11, 8, 0, 10, 0, 10, 1, 1, 0x11, 0}, 0xFF, 0xD9),
		"truncated":  data[:len(data)/2],
		"not a JPEG": []byte("GIF89a......"),
		"empty":      nil,
	} {
		if _, err := PassThroughJPEG(bad); err == nil {
			t.Errorf("%s JPEG accepted", name)
		} else if name == "CMYK" && !strings.Contains(err.Error(), "CMYK") || name == "12-bit" && !strings.Contains(err.Error(), "12-bit") {
			t.Errorf("%s: unexpected error %v", name, err)
		}
	}
}

// flateImage is img stored losslessly (8-bit Flate), the reference for fidelity.
func flateImage(t testing.TB, img image.Image) Image {
	b := img.Bounds()
	g, gray := img.(*image.Gray)
	var raw []byte
	if gray {
		for y := b.Min.Y; y < b.Max.Y; y++ {
			raw = append(raw, g.Pix[g.PixOffset(b.Min.X, y):][:b.Dx()]...)
		}
	} else {
		rgba := pdfatest.ToRGBA(img)
		raw = make([]byte, 0, 3*b.Dx()*b.Dy())
		for i := 0; i < len(rgba.Pix); i += 4 {
			raw = append(raw, rgba.Pix[i:i+3]...)
		}
	}
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	zw.Write(raw)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return Image{Data: z.Bytes(), Filter: Flate, Width: b.Dx(), Height: b.Dy(), Gray: gray, BitsPerComponent: 8}
}

// TestImageFidelity checks on real, losslessly stored scans (LZW TIFF colour, PNG gray) that
// the fidelity EncodeImage measures on its decoded JPEG is what a reader shows: each page is
// written twice, as EncodeImage makes it and losslessly (8-bit Flate), and rendered with
// pdftoppm at the page's resolution. pdftoppm's rendering of the JPEG page has the PSNR
// against the source that EncodeImage reported (the image is placed 1:1 on the pixel grid,
// TestImagePlacement, and poppler decodes with libjpeg as turbojpeg.Decode does), at or above
// the default target; so does pdftocairo's.
func TestImageFidelity(t *testing.T) {
	cases := []struct {
		file string
		dpi  int
	}{
		{"tt-so-hoa-p01.tif", 200},
		{"cv-giao-nop-p01.png", 300},
	}
	if testing.Short() {
		cases = cases[:1]
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			src := loadImage(t, c.file)
			enc, err := EncodeImage(src, EncodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ref := flateImage(t, src)
			dpi := float64(c.dpi)
			var buf bytes.Buffer
			if err := Write(context.Background(), &buf, []Page{{Image: enc, DPIX: dpi, DPIY: dpi}, {Image: ref, DPIX: dpi, DPIY: dpi}}, Metadata{}, Options{}); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "f.pdf")
			if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			list := pdfatest.Tool(t, "pdfimages", "-list", file)
			kind := "rgb     3   8  jpeg"
			if enc.Gray {
				kind = "gray    1   8  jpeg"
			}
			if !regexp.MustCompile(`(?m)^\s+1\s+0 image\s+\d+\s+\d+\s+` + kind).MatchString(list) {
				t.Errorf("page 1 is not a %q image:\n%s", kind, list)
			}

			splashEnc := pdfatest.Render(t, "pdftoppm", file, 1, c.dpi)
			splashRef := pdfatest.Render(t, "pdftoppm", file, 2, c.dpi)
			cairoEnc := pdfatest.Render(t, "pdftocairo", file, 1, c.dpi)
			sb, rb := src.Bounds(), splashEnc.Bounds()
			if abs(sb.Dx()-rb.Dx()) > 1 || abs(sb.Dy()-rb.Dy()) > 1 {
				t.Errorf("rendered %v at %d dpi, source is %v", rb.Size(), c.dpi, sb.Size())
			}
			loss := pdfatest.PSNR(splashEnc, splashRef)
			cairo := pdfatest.PSNR(src, cairoEnc)
			t.Logf("%s: %d bytes JPEG (%.2f bits/pixel); PSNR pdftoppm JPEG vs lossless %.2f dB, pdftocairo vs source %.2f dB, pdftoppm vs source %.2f dB",
				c.file, len(enc.Data), 8*float64(len(enc.Data))/float64(sb.Dx()*sb.Dy()), loss, cairo, pdfatest.PSNR(src, splashEnc))
			if splash := pdfatest.PSNR(src, splashEnc); math.Abs(splash-enc.PSNR) > 0.05 || splash < DefaultPSNR {
				t.Errorf("pdftoppm renders the page at %.3f dB, EncodeImage measured %.3f dB (target %v)", splash, enc.PSNR, DefaultPSNR)
			}
			if loss < DefaultPSNR || cairo < DefaultPSNR-0.5 {
				t.Errorf("PSNR against the lossless page %.2f dB, pdftocairo against the source %.2f dB", loss, cairo)
			}
		})
	}
}

func loadBenchPage(b *testing.B) image.Image {
	f, err := os.Open(filepath.Join(samples, "qd-chinh-ly-p01.jpg")) // 300 dpi colour A4
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		b.Fatal(err)
	}
	return img
}

func BenchmarkEncodeImage(b *testing.B) {
	img := loadBenchPage(b)
	gray := image.NewGray(img.Bounds())
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i % 253)
	}
	bitonal := image.NewGray(img.Bounds())
	for i := range bitonal.Pix {
		if i%7 != 0 {
			bitonal.Pix[i] = 255
		}
	}
	for _, c := range []struct {
		name string
		img  image.Image
	}{{"rgb300dpi", img}, {"gray300dpi", gray}, {"bitonal300dpi", bitonal}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := EncodeImage(c.img, EncodeOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
