package pipeline

import (
	"context"
	"fmt"
	"image"
	_ "image/png" // mkscans.py pages
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa/pdfatest"
	"github.com/sohoa-vn/sohoa/pipeline/scan"
	"github.com/sohoa-vn/sohoa/pipeline/turbojpeg"
)

// degradedPages makes 24 degraded one-page scans with scripts/mkscans.py (the sample pages'
// texts, three times each, at 200 and at 300 dpi; noise, blur, skew, some turned, colour or
// gray, JPEG, PNG or LZW TIFF, fixed seeds) and lays them out as a batch of one-page
// documents. It returns the batch folder and the pages' files in it.
func degradedPages(b *testing.B) (dir string, files []string) {
	b.Helper()
	texts := b.TempDir()
	gts, err := filepath.Glob("../testdata/samples/*.gt.txt")
	if err != nil || len(gts) != 4 {
		b.Fatalf("sample texts: %d files, %v", len(gts), err)
	}
	for i := 1; i <= 3; i++ {
		for _, gt := range gts {
			data, err := os.ReadFile(gt)
			if err != nil {
				b.Fatal(err)
			}
			name := strings.SplitN(filepath.Base(gt), "-p01", 2)[0]
			if err := os.WriteFile(filepath.Join(texts, fmt.Sprintf("%s-%d.txt", name, i)), data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	txt, _ := filepath.Glob(filepath.Join(texts, "*.txt"))
	scans := b.TempDir()
	for _, run := range []struct{ dpi, seed string }{{"200", "1"}, {"300", "2"}} {
		out := filepath.Join(scans, run.dpi)
		// The script's first line names Debian's python3, which has python3-pil (scripts/deps.sh).
		cmd := exec.Command("../scripts/mkscans.py", append(append([]string{out}, txt...), "--dpi", run.dpi, "--seed", run.seed)...)
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("mkscans.py: %v\n%s", err, msg)
		}
		pages, _ := filepath.Glob(filepath.Join(out, "*-p01.*"))
		for _, p := range pages {
			if !strings.HasSuffix(p, ".txt") && !strings.HasSuffix(p, ".json") {
				files = append(files, p)
			}
		}
	}
	if len(files) != 24 {
		b.Fatalf("mkscans.py made %d pages, want 24", len(files))
	}
	dir = b.TempDir()
	for i, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		p := filepath.Join(dir, "H49.64.33.2025.01.BYTES", fmt.Sprint(i+1), "p1"+filepath.Ext(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir, files
}

// decodeScan decodes a scan as a PDF reader would show it: a JPEG with libjpeg (turbojpeg, as
// poppler does; image/jpeg upsamples chroma differently, which alone costs about 38 dB), other
// formats with the pipeline's decoder (lossless).
func decodeScan(b testing.TB, file string) image.Image {
	b.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	var img image.Image
	if strings.HasSuffix(file, ".jpg") {
		img, err = turbojpeg.Decode(data)
	} else {
		img, _, err = scan.DecodeBytes(data, 1)
	}
	if err != nil {
		b.Fatalf("%s: %v", file, err)
	}
	return img
}

// storedImage returns the page image of a one-page PDF as stored, decoded by poppler
// (pdfimages -png).
func storedImage(b testing.TB, file string) image.Image {
	b.Helper()
	prefix := filepath.Join(b.TempDir(), "i")
	pdfatest.Tool(b, "pdfimages", "-png", "-f", "1", "-l", "1", file, prefix)
	f, err := os.Open(prefix + "-000.png")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		b.Fatalf("pdfimages output of %s: %v", file, err)
	}
	return img
}

// BenchmarkBytesVsOCRmyPDF compares bytes per page and fidelity of sohoa's PDF/A-2b (unsigned,
// default settings: PSNR target 37 dB) with OCRmyPDF's at its defaults
// (ocrmypdf -l vie --output-type pdfa) on the 24 degraded pages of degradedPages. A missing
// ocrmypdf fails the benchmark. Fidelity is the PSNR of the page as pdftoppm renders it at the
// scan's resolution (what a reader shows, placement and decoding included; pdfimages would
// show the stored image only) against the image the PDF is made from: for sohoa the normalized
// page (turned, deskewed, cropped: the scan itself cannot be compared pixel for pixel), for
// OCRmyPDF, which keeps the page as scanned, the scan. OCRmyPDF's page size does not put its
// image 1:1 on the pixel grid at the scan's dpi, so poppler resamples it and the rendering
// loses more than the coding: the PSNR of its stored image (pdfimages) is reported too. It
// reports the mean bytes per page of each, their ratio and each one's worst page PSNR.
func BenchmarkBytesVsOCRmyPDF(b *testing.B) {
	ocrmypdf, err := exec.LookPath("ocrmypdf")
	if err != nil {
		b.Fatalf("ocrmypdf is required for the comparison (scripts/deps.sh installs it): %v", err)
	}
	dir, scans := degradedPages(b)
	batch, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	eng, err := ocr.NewEngine(ocr.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	var sohoa, theirs int64
	worstOurs, worstTheirs, worstTheirsImage := math.Inf(1), math.Inf(1), math.Inf(1)
	for i := 0; i < b.N; i++ {
		out, rec := processBench(b, batch)
		pages := 0
		for _, f := range rec.Files {
			for _, d := range f.Documents {
				if d.PDF == "" || len(d.Pages) != 1 {
					b.Fatalf("%s: no PDF of one page (%s)", d.Source, d.Error)
				}
				pages++
				file := filepath.Join(out, filepath.FromSlash(d.PDF))
				st, err := os.Stat(file)
				if err != nil {
					b.Fatal(err)
				}
				sohoa += st.Size()
				pr := d.Pages[0]
				norm, enc := normalizedPage(b, eng, dir, pr)
				v := pdfatest.PSNR(norm, pdfatest.Render(b, "pdftoppm", file, 1, int(math.Round(pr.DPI))))
				worstOurs = min(worstOurs, v)
				b.Logf("sohoa %s (%s, %.0f dpi): %d bytes, %.2f dB (%v quality %d)", pr.File, pr.Color, pr.DPI, st.Size(), v, enc.Filter, enc.Quality)
			}
		}
		if pages != len(scans) {
			b.Fatalf("sohoa made %d one-page PDFs, want %d", pages, len(scans))
		}
		// OCRmyPDF runs benchWorkers pages at a time, as sohoa does; only bytes and pixels are compared.
		dsts, errs := make([]string, len(scans)), make([]error, len(scans))
		sem := make(chan struct{}, benchWorkers)
		var wg sync.WaitGroup
		for k, s := range scans {
			dsts[k] = filepath.Join(out, fmt.Sprintf("ocrmypdf-%02d-%s.pdf", k+1, filepath.Base(s)))
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				cmd := exec.Command(ocrmypdf, "-q", "-l", "vie", "--output-type", "pdfa", s, dsts[k])
				cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
				if msg, err := cmd.CombinedOutput(); err != nil {
					errs[k] = fmt.Errorf("ocrmypdf %s: %v\n%s", s, err, msg)
				}
			}()
		}
		wg.Wait()
		for k, s := range scans {
			if errs[k] != nil {
				b.Fatal(errs[k])
			}
			dst := dsts[k]
			st, err := os.Stat(dst)
			if err != nil {
				b.Fatal(err)
			}
			theirs += st.Size()
			dpi := 200
			if filepath.Base(filepath.Dir(s)) == "300" {
				dpi = 300
			}
			scan := decodeScan(b, s)
			v := pdfatest.PSNR(scan, pdfatest.Render(b, "pdftoppm", dst, 1, dpi))
			vi := pdfatest.PSNR(scan, storedImage(b, dst))
			worstTheirs, worstTheirsImage = min(worstTheirs, v), min(worstTheirsImage, vi)
			b.Logf("OCRmyPDF %s/%s: %d bytes, %.2f dB rendered, %.2f dB stored image", filepath.Base(filepath.Dir(s)), filepath.Base(s), st.Size(), v, vi)
		}
	}
	pages := float64(b.N * len(scans))
	b.ReportMetric(float64(sohoa)/pages, "sohoa-bytes/page")
	b.ReportMetric(float64(theirs)/pages, "ocrmypdf-bytes/page")
	b.ReportMetric(float64(sohoa)/float64(theirs), "size-ratio")
	b.ReportMetric(worstOurs, "sohoa-min-dB")
	b.ReportMetric(worstTheirs, "ocrmypdf-min-dB")
	b.ReportMetric(worstTheirsImage, "ocrmypdf-image-min-dB")
}
