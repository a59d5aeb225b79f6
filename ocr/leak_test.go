package ocr

import (
	"context"
	"image"
	"slices"
	"testing"
)

// leakPage returns a small page for the engine memory checks: a band of text lines of the
// 300-dpi sample qd-chinh-ly-p01, straightened, so that one recognition takes little time but
// finds some 30 words (a leak per word shows in a few pages).
func leakPage(tb testing.TB) *image.Gray {
	tb.Helper()
	samples, images := loadSamples(tb)
	for _, s := range samples {
		if s.Name == "qd-chinh-ly-p01" {
			up := ToGray(restoreOrientation(images[s.Name], s.RotationDeg))
			g := rotateGray(up, -s.SkewDeg)
			b := g.Bounds()
			y0 := b.Min.Y + b.Dy()*2/5
			band := image.Rect(b.Min.X, y0, b.Min.X+b.Dx()*3/5, y0+b.Dy()/8)
			return cloneGray(g.SubImage(band).(*image.Gray))
		}
	}
	tb.Fatal("sample qd-chinh-ly-p01 missing")
	return nil
}

// leakWarmup is how many pages are recognised before C memory is measured: Tesseract's caches
// grow by about 200 KB over the first pages of a new engine, then stay within about ±40 KB.
const leakWarmup = 50

// engineCHeap recognises page with one engine leakWarmup times, then n times, and returns the
// process's C heap in use (cHeapInUse) after each of the n pages and the words of the last.
func engineCHeap(tb testing.TB, page *image.Gray, n int) (heap []int64, words int) {
	tb.Helper()
	e := newTestEngine(tb)
	ctx := context.Background()
	for i := range leakWarmup + n {
		r, err := e.Recognize(ctx, page)
		if err != nil {
			tb.Fatal(err)
		}
		if i >= leakWarmup {
			heap = append(heap, cHeapInUse())
		}
		words = len(r.Words)
	}
	return heap, words
}

// median returns the median of v.
func median(v []int64) int64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestEngineNoLeak checks that recognising pages with one engine does not grow its C memory.
// The C heap is measured after each of 150 pages; its medians over three windows of 25 pages
// (first, middle, last) must not rise from each window to the next by more than 96 KB.
// Tesseract's caches move the heap in steps of some 30–150 KB now and then, which can lift
// one interval; a leak lifts both. gosseract v2.4.1's GetBoundingBoxesVerbose kept the
// result iterator and every word's text of every page: about 110 bytes a word, some 200 KB
// over each interval on this band, 7–14 KB a page on a full page.
func TestEngineNoLeak(t *testing.T) {
	page := leakPage(t)
	const n, window = 150, 25
	heap, words := engineCHeap(t, page, n)
	if words < 20 {
		t.Fatalf("the test page gave %d words, want at least 20", words)
	}
	mid := (n - window) / 2
	first, middle, last := median(heap[:window]), median(heap[mid:mid+window]), median(heap[n-window:])
	t.Logf("C heap medians over pages %d-%d, %d-%d, %d-%d: %d, %d, %d bytes (%d words a page)",
		leakWarmup+1, leakWarmup+window, leakWarmup+mid+1, leakWarmup+mid+window,
		leakWarmup+n-window+1, leakWarmup+n, first, middle, last, words)
	const limit = 96 << 10
	if a, b := middle-first, last-middle; a > limit && b > limit {
		t.Errorf("C heap grew by %d KB, then by %d KB, over %d pages each (%d bytes a page)",
			a>>10, b>>10, mid, (a+b)/int64(n-window))
	}
}
