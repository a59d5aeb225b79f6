// Package pdfatest provides helpers for tests that check PDF files with the
// tools an archive would use: qpdf, Apache PDFBox Preflight and poppler's
// pdftoppm and pdftocairo. A missing tool fails the test; it is never skipped.
package pdfatest

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/image/tiff"
)

// preflightError matches an error line of a Preflight report, such as
// "2.4.3 : Invalid Color space ...".
var preflightError = regexp.MustCompile(`(?m)^\s*\d+(\.\d+)+\s*:`)

// Tool runs the command name with args and returns its standard output. A
// missing command or a failed run fails the test.
func Tool(t testing.TB, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is required for this test: %v", name, err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// Preflight runs Apache PDFBox Preflight (PDF/A-1b validator, from Debian's
// libpdfbox2-java) on file and returns its report. valid reports whether
// Preflight calls the file a valid PDF/A-1b file and the report has no error
// line. A missing jar or java fails the test.
func Preflight(t testing.TB, file string) (report string, valid bool) {
	t.Helper()
	var cp []string
	for _, jar := range []string{"preflight", "pdfbox2", "fontbox2", "xmpbox", "commons-logging", "javax.activation", "jaxb-api"} {
		p := filepath.Join("/usr/share/java", jar+".jar")
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("PDFBox Preflight jar missing (apt install libpdfbox2-java): %v", err)
		}
		cp = append(cp, p)
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Fatalf("java is required for Preflight: %v", err)
	}
	out, err := exec.Command("java", "-cp", strings.Join(cp, ":"), "org.apache.pdfbox.preflight.Validator_A1b", file).CombinedOutput()
	report = string(out)
	valid = strings.Contains(report, "is a valid PDF/A-1b file") && !strings.Contains(report, "not valid") &&
		!preflightError.MatchString(report)
	if err != nil && valid {
		t.Fatalf("preflight: %v\n%s", err, out)
	}
	return report, valid
}

// QPDFCheck runs qpdf --check on file and reports an error unless qpdf finds
// it clean: exit status 0 (a status of 3, for warnings, fails the test) and no
// warning in its output.
func QPDFCheck(t testing.TB, file string) {
	t.Helper()
	out := Tool(t, "qpdf", "--check", file)
	if !strings.Contains(out, "No syntax or stream encoding errors found") || strings.Contains(strings.ToLower(out), "warning") {
		t.Errorf("qpdf --check %s:\n%s", filepath.Base(file), out)
	}
}

// Render rasterizes page (counted from 1) of a PDF file at dpi with tool,
// which is "pdftoppm" (poppler's Splash, read back as PPM) or "pdftocairo"
// (read back as uncompressed TIFF). PNG output would cost seconds a page.
func Render(t testing.TB, tool, file string, page, dpi int) image.Image {
	t.Helper()
	prefix := filepath.Join(t.TempDir(), "r")
	n := strconv.Itoa(page)
	args := []string{"-f", n, "-l", n, "-r", strconv.Itoa(dpi), "-singlefile"}
	ext := ".ppm"
	if tool == "pdftocairo" {
		args = append(args, "-tiff", "-tiffcompression", "none")
		ext = ".tif"
	}
	Tool(t, tool, append(args, file, prefix)...)
	data, err := os.ReadFile(prefix + ext)
	if err != nil {
		t.Fatal(err)
	}
	var img image.Image
	if ext == ".tif" {
		img, err = tiff.Decode(bytes.NewReader(data))
	} else {
		img, err = DecodePPM(data)
	}
	if err != nil {
		t.Fatalf("%s output: %v", tool, err)
	}
	return img
}

// DecodePPM decodes a binary 8-bit PPM (P6), as pdftoppm writes it.
func DecodePPM(data []byte) (*image.RGBA, error) {
	var magic string
	var w, h, maxv int
	r := bytes.NewReader(data)
	if n, err := fmt.Fscan(r, &magic, &w, &h, &maxv); err != nil || n != 4 || magic != "P6" || maxv != 255 {
		return nil, fmt.Errorf("not an 8-bit P6 PPM: %v", err)
	}
	off := len(data) - r.Len() + 1 // one white-space byte ends the header
	if w <= 0 || h <= 0 || len(data)-off != 3*w*h {
		return nil, fmt.Errorf("PPM of %dx%d has %d sample bytes", w, h, len(data)-off)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range w * h {
		copy(img.Pix[4*i:4*i+3], data[off+3*i:])
		img.Pix[4*i+3] = 255
	}
	return img, nil
}

// ToRGBA returns img as an *image.RGBA with origin (0, 0) whose Pix holds
// exactly its pixels, row after row. It returns img itself if it is one
// already, and a copy otherwise.
func ToRGBA(img image.Image) *image.RGBA {
	if m, ok := img.(*image.RGBA); ok && m.Rect.Min == (image.Point{}) &&
		m.Stride == 4*m.Rect.Dx() && len(m.Pix) == m.Stride*m.Rect.Dy() {
		return m
	}
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	return out
}

// PSNR returns the peak signal-to-noise ratio, in dB, of b against a over
// their common area (from their top-left corners), on 8-bit RGB. It is +Inf
// for identical pixels.
func PSNR(a, b image.Image) float64 {
	ra, rb := ToRGBA(a), ToRGBA(b)
	w, h := min(ra.Rect.Dx(), rb.Rect.Dx()), min(ra.Rect.Dy(), rb.Rect.Dy())
	var se float64
	for y := range h {
		pa, pb := ra.Pix[y*ra.Stride:y*ra.Stride+4*w], rb.Pix[y*rb.Stride:y*rb.Stride+4*w]
		for x := 0; x < 4*w; x += 4 {
			for c := range 3 {
				d := float64(pa[x+c]) - float64(pb[x+c])
				se += d * d
			}
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(3*w*h)))
}

// IoU returns the intersection over union of two axis-aligned boxes, each
// given as x0, y0, x1, y1 with x0 <= x1 and y0 <= y1. It is 0 for boxes that
// do not overlap.
func IoU(a, b [4]float64) float64 {
	iw := min(a[2], b[2]) - max(a[0], b[0])
	ih := min(a[3], b[3]) - max(a[1], b[1])
	if iw <= 0 || ih <= 0 {
		return 0
	}
	inter := iw * ih
	return inter / ((a[2]-a[0])*(a[3]-a[1]) + (b[2]-b[0])*(b[3]-b[1]) - inter)
}

// RectBox returns r as a box for IoU.
func RectBox(r image.Rectangle) [4]float64 {
	return [4]float64{float64(r.Min.X), float64(r.Min.Y), float64(r.Max.X), float64(r.Max.Y)}
}
