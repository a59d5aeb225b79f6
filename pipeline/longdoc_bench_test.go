package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline/scan"
)

// longDocPages returns n small text pages for the long-document benchmark: the eight bands of
// the sample qd-chinh-ly-p01 halved (1240×219 pixels, 8-bit gray; recorded as 200 dpi, the
// least TT 05 accepts), in turn.
func longDocPages(b testing.TB, n int) []*image.Gray {
	b.Helper()
	img, _, err := scan.Decode("../testdata/samples/qd-chinh-ly-p01.jpg", 1)
	if err != nil {
		b.Fatal(err)
	}
	g := ocr.ToGray(img)
	// Halve (150 dpi of paper; the files record 200 dpi).
	r := g.Bounds()
	half := image.NewGray(image.Rect(0, 0, r.Dx()/2, r.Dy()/2))
	for y := 0; y < half.Rect.Dy(); y++ {
		for x := 0; x < half.Rect.Dx(); x++ {
			s := int(g.GrayAt(r.Min.X+2*x, r.Min.Y+2*y).Y) + int(g.GrayAt(r.Min.X+2*x+1, r.Min.Y+2*y).Y) +
				int(g.GrayAt(r.Min.X+2*x, r.Min.Y+2*y+1).Y) + int(g.GrayAt(r.Min.X+2*x+1, r.Min.Y+2*y+1).Y)
			half.Pix[y*half.Stride+x] = uint8((s + 2) / 4)
		}
	}
	q := half.Rect.Dy() / 8
	quarters := make([]*image.Gray, 8)
	for i := range quarters {
		sub := half.SubImage(image.Rect(0, i*q, half.Rect.Dx(), (i+1)*q)).(*image.Gray)
		c := image.NewGray(image.Rect(0, 0, sub.Rect.Dx(), sub.Rect.Dy()))
		for y := 0; y < c.Rect.Dy(); y++ {
			copy(c.Pix[y*c.Stride:], sub.Pix[(y)*sub.Stride:(y)*sub.Stride+c.Rect.Dx()])
		}
		quarters[i] = c
	}
	pages := make([]*image.Gray, n)
	for i := range pages {
		pages[i] = quarters[i%8]
	}
	return pages
}

// resetPeakRSS resets the process's peak resident size (VmHWM), so that the next peakRSS
// reports the peak from now on.
func resetPeakRSS(b *testing.B) {
	b.Helper()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Fatalf("reset peak RSS: %v", err)
	}
}

// peakRSS returns the process's peak resident size (VmHWM) in bytes.
func peakRSS(b *testing.B) int64 {
	b.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}

// BenchmarkLongDocument runs process (2 workers) on one document of 300 pages stored as one
// multi-page TIFF, on the same 300 pages as single-page TIFFs, on the first 20 pages as one
// TIFF, and on the 300-page TIFF again with every encoded page held in memory until the PDF is
// written (SpillBytes -1, as before pages spilled), and reports the peak resident size of the
// process (RSS-MB), per worker (RSS/worker-MB), and the CPU per page (cpu-ms/page) of each, with
// the ratios of the multi-page run to the single files (before the fix every page of the TIFF
// read and hashed the whole file), of the 300-page document to the 20-page one (flat with
// document length: 1.0) and of the held run to the spilled one.
func BenchmarkLongDocument(b *testing.B) {
	const n = 300
	pages := longDocPages(b, n)
	dir := b.TempDir()
	write := func(name string, data []byte) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	write("multi/H49.64.33.2025.01.LONG/1/doc.tif", multiTIFF(pages, 200))
	write("short/H49.64.33.2025.01.LONG/1/doc.tif", multiTIFF(pages[:20], 200))
	for i, p := range pages {
		write(fmt.Sprintf("single/H49.64.33.2025.01.LONG/1/p%03d.tif", i+1), multiTIFF([]*image.Gray{p}, 200))
	}
	eng, err := ocr.NewPool(benchWorkers, ocr.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	run := func(name string, spill int64) (rss int64, cpuPerPage time.Duration) {
		batch, err := Load(context.Background(), filepath.Join(dir, name), LoadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		resetPeakRSS(b)
		c0 := processCPU()
		rep, err := Process(context.Background(), batch, b.TempDir(), Options{Workers: benchWorkers, Engines: eng, SpillBytes: spill})
		if err != nil {
			b.Fatal(err)
		}
		if rep.DocumentsDone != 1 || rep.PagesDone != batch.Pages() {
			b.Fatalf("%s: %d documents, %d of %d pages done: %+v", name, rep.DocumentsDone, rep.PagesDone, batch.Pages(), rep.Failures)
		}
		return peakRSS(b), (processCPU() - c0) / time.Duration(batch.Pages())
	}
	for b.Loop() {
		singleRSS, singleCPU := run("single", 0)
		multiRSS, multiCPU := run("multi", 0)
		shortRSS, shortCPU := run("short", 0)
		heldRSS, _ := run("multi", -1)
		mb := func(v int64) float64 { return float64(v) / (1 << 20) }
		b.ReportMetric(mb(multiRSS), "multi-RSS-MB")
		b.ReportMetric(mb(multiRSS)/benchWorkers, "multi-RSS/worker-MB")
		b.ReportMetric(mb(singleRSS), "single-RSS-MB")
		b.ReportMetric(mb(shortRSS), "20p-RSS-MB")
		b.ReportMetric(mb(shortRSS)/benchWorkers, "20p-RSS/worker-MB")
		b.ReportMetric(mb(heldRSS), "held-RSS-MB")
		b.ReportMetric(float64(multiCPU.Milliseconds()), "multi-cpu-ms/page")
		b.ReportMetric(float64(singleCPU.Milliseconds()), "single-cpu-ms/page")
		b.ReportMetric(float64(shortCPU.Milliseconds()), "20p-cpu-ms/page")
		b.ReportMetric(float64(multiRSS)/float64(singleRSS), "RSS-multi/single")
		b.ReportMetric(float64(multiRSS)/float64(shortRSS), "RSS-300p/20p")
		b.ReportMetric(float64(heldRSS)/float64(multiRSS), "RSS-held/spilled")
		b.ReportMetric(float64(multiCPU)/float64(singleCPU), "cpu-multi/single")
	}
}
