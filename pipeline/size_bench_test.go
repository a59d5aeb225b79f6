package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa/pdfatest"
)

// sizeSamples are the four sample pages, each a one-page document.
var sizeSamples = []string{"bb-giao-nhan-p01.jpg", "cv-giao-nop-p01.png", "qd-chinh-ly-p01.jpg", "tt-so-hoa-p01.tif"}

// sizeBatch makes a batch of the four sample pages, one document each.
func sizeBatch(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	for i, s := range sizeSamples {
		data, err := os.ReadFile(filepath.Join("../testdata/samples", s))
		if err != nil {
			b.Fatal(err)
		}
		p := filepath.Join(dir, "H49.64.33.2025.01.SIZE", fmt.Sprint(i+1), "p1"+filepath.Ext(s))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// processBench processes batch with benchWorkers workers into a new temporary folder and
// returns the batch's folder there and its record.
func processBench(b *testing.B, batch *Batch) (string, *batchRecord) {
	b.Helper()
	out := b.TempDir()
	rep, err := Process(context.Background(), batch, out, Options{Workers: benchWorkers})
	if err != nil {
		b.Fatal(err)
	}
	out = filepath.Join(out, rep.BatchID)
	data, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(bag.BatchRecordFile)))
	if err != nil {
		b.Fatal(err)
	}
	var rec batchRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		b.Fatal(err)
	}
	return out, &rec
}

// BenchmarkSizeVsOCRmyPDF compares the bytes per page of sohoa's PDF/A-2b
// with OCRmyPDF's (ocrmypdf -l vie --rotate-pages --deskew --output-type pdfa)
// on the four sample pages. OCRmyPDF takes the page images directly (it
// converts an image input with img2pdf; all samples carry their dpi, else
// --image-dpi would be needed).
func BenchmarkSizeVsOCRmyPDF(b *testing.B) {
	dir := sizeBatch(b)
	batch, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ocrmypdf, err := exec.LookPath("ocrmypdf")
	if err != nil {
		b.Fatalf("ocrmypdf is required for the comparison (scripts/deps.sh installs it): %v", err)
	}
	var sohoa, theirs int64
	for i := 0; i < b.N; i++ {
		out, rec := processBench(b, batch)
		for _, f := range rec.Files {
			for _, d := range f.Documents {
				st, err := os.Stat(filepath.Join(out, filepath.FromSlash(d.PDF)))
				if err != nil {
					b.Fatal(err)
				}
				sohoa += st.Size()
				if i == 0 {
					b.Logf("sohoa %s (%s): %d bytes", d.Pages[0].File, d.Pages[0].Color, st.Size())
				}
			}
		}
		for _, s := range sizeSamples {
			dst := filepath.Join(out, s+".ocrmypdf.pdf")
			cmd := exec.Command(ocrmypdf, "-q", "-l", "vie", "--rotate-pages", "--deskew", "--output-type", "pdfa",
				filepath.Join("../testdata/samples", s), dst)
			cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
			if msg, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("ocrmypdf %s: %v\n%s", s, err, msg)
			}
			st, err := os.Stat(dst)
			if err != nil {
				b.Fatal(err)
			}
			theirs += st.Size()
			if i == 0 {
				b.Logf("OCRmyPDF %s: %d bytes", s, st.Size())
			}
		}
	}
	pages := float64(b.N * len(sizeSamples))
	b.ReportMetric(float64(sohoa)/pages, "sohoa-bytes/page")
	b.ReportMetric(float64(theirs)/pages, "ocrmypdf-bytes/page")
	b.ReportMetric(float64(sohoa)/float64(theirs), "size-ratio")
}

// normalizedSample is a sample page after normalization.
type normalizedSample struct {
	file string
	dpi  float64
	img  image.Image
}

// BenchmarkJPEGQuality measures, for JPEG qualities 60 to 90, the size of the
// sample pages' normalized images and their PSNR as rendered by pdftoppm at
// the scan resolution: the measurement behind the fixed quality 70 used before the
// fidelity target (pdfa.DefaultPSNR); with pdfa.EncodeOptions.JPEGQuality, a quality that
// would take a page under pdfa.MinPSNR is raised.
// It reports bytes per page (mean) and the worst page's PSNR.
func BenchmarkJPEGQuality(b *testing.B) {
	eng, err := ocr.NewEngine(ocr.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	dir := sizeBatch(b)
	batch, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var pages []normalizedSample
	for _, f := range batch.Files {
		for _, d := range f.Documents {
			pg := d.Pages[0]
			norm, _ := normalizedPage(b, eng, dir, &pageRecord{File: pg.File, FilePage: pg.FilePage})
			pages = append(pages, normalizedSample{pg.File, pg.DPI, norm})
		}
	}
	for q := 60; q <= 90; q += 5 {
		b.Run(fmt.Sprintf("q%d", q), func(b *testing.B) {
			var size int
			worst := math.Inf(1)
			for i := 0; i < b.N; i++ {
				size, worst = 0, math.Inf(1)
				for _, p := range pages {
					enc, err := pdfa.EncodeImage(p.img, pdfa.EncodeOptions{JPEGQuality: q})
					if err != nil {
						b.Fatal(err)
					}
					var buf bytes.Buffer
					if err := pdfa.Write(context.Background(), &buf, []pdfa.Page{{Image: enc, DPIX: p.dpi, DPIY: p.dpi}}, pdfa.Metadata{}, pdfa.Options{}); err != nil {
						b.Fatal(err)
					}
					file := filepath.Join(b.TempDir(), "q.pdf")
					if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
						b.Fatal(err)
					}
					v := pdfatest.PSNR(p.img, pdfatest.Render(b, "pdftoppm", file, 1, int(math.Round(p.dpi))))
					if i == 0 {
						b.Logf("q%d %s: %d bytes, %.2f dB", q, p.file, len(enc.Data), v)
					}
					size += len(enc.Data)
					worst = min(worst, v)
				}
			}
			b.ReportMetric(float64(size)/float64(len(pages)), "bytes/page")
			b.ReportMetric(worst, "min-dB")
		})
	}
}
