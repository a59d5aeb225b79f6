package ocr

import (
	"context"
	"image"
	"testing"
)

// benchSample returns the 300-dpi sample qd-chinh-ly-p01 as scanned and straightened.
func benchSample(b *testing.B) (scan, upright, straight *image.Gray) {
	b.Helper()
	samples, images := loadSamples(b)
	for _, s := range samples {
		if s.Name == "qd-chinh-ly-p01" {
			scan = cloneGray(ToGray(images[s.Name]))
			upright = ToGray(restoreOrientation(scan, s.RotationDeg))
			return scan, upright, rotateGray(upright, -s.SkewDeg)
		}
	}
	b.Fatal("sample qd-chinh-ly-p01 missing")
	return
}

func BenchmarkRecognize(b *testing.B) {
	_, _, straight := benchSample(b)
	e := newTestEngine(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.Recognize(context.Background(), straight); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDetectOrientation(b *testing.B) {
	scan, _, _ := benchSample(b)
	e := newTestEngine(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.DetectOrientation(context.Background(), scan); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDetectSkew(b *testing.B) {
	_, upright, _ := benchSample(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := DetectSkew(upright); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToGrayNRGBA(b *testing.B) {
	scan, _, _ := benchSample(b)
	rgb := image.NewNRGBA(scan.Bounds())
	for i, v := range scan.Pix {
		rgb.Pix[4*i], rgb.Pix[4*i+1], rgb.Pix[4*i+2], rgb.Pix[4*i+3] = v, v, v, 0xff
	}
	b.ResetTimer()
	for b.Loop() {
		ToGray(rgb)
	}
}

// BenchmarkEngineMemory recognises a small page 2,000 times with one engine (after the
// warm-up of TestEngineNoLeak) and reports the growth of the C heap: between the medians of
// the first and the last 100 pages (C-heap-growth-B) and per page (C-B/page). With gosseract
// v2.4.1's word iterator it was about 110 bytes a word.
func BenchmarkEngineMemory(b *testing.B) {
	page := leakPage(b)
	const n, window = 2000, 100
	for b.Loop() {
		heap, words := engineCHeap(b, page, n)
		grow := median(heap[n-window:]) - median(heap[:window])
		b.ReportMetric(float64(grow), "C-heap-growth-B")
		b.ReportMetric(float64(grow)/float64(n-window), "C-B/page")
		b.ReportMetric(float64(words), "words/page")
		b.ReportMetric(float64(median(heap[:window]))/(1<<20), "C-heap-MB")
	}
}
