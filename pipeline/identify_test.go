package pipeline

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/ocr"
)

// multiTIFF writes a little-endian TIFF whose pages are the 8-bit gray images pages, each
// compressed with Deflate, at dpi dots per inch.
func multiTIFF(pages []*image.Gray, dpi int) []byte {
	le := binary.LittleEndian
	b := []byte("II\x2a\x00\x00\x00\x00\x00")
	next := 4 // where the offset of the next directory goes
	for _, g := range pages {
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(g.Pix)
		zw.Close()
		dataOff := len(b)
		b = append(b, z.Bytes()...)
		if len(b)%2 == 1 {
			b = append(b, 0)
		}
		w, h := uint32(g.Rect.Dx()), uint32(g.Rect.Dy())
		type entry struct {
			tag, typ uint16
			val      uint32
		}
		const short, long, rational = 3, 4, 5
		ifdOff := len(b)
		const n = 12
		ratOff := uint32(ifdOff + 2 + 12*n + 4)
		es := []entry{{256, long, w}, {257, long, h}, {258, short, 8}, {259, short, 8},
			{262, short, 1}, {273, long, uint32(dataOff)}, {277, short, 1}, {278, long, h},
			{279, long, uint32(z.Len())}, {282, rational, ratOff}, {283, rational, ratOff + 8},
			{296, short, 2}}
		le.PutUint32(b[next:], uint32(ifdOff))
		b = le.AppendUint16(b, n)
		for _, e := range es {
			b = le.AppendUint16(b, e.tag)
			b = le.AppendUint16(b, e.typ)
			b = le.AppendUint32(b, 1)
			if e.typ == short {
				b = le.AppendUint16(b, uint16(e.val))
				b = append(b, 0, 0)
			} else {
				b = le.AppendUint32(b, e.val)
			}
		}
		next = len(b)
		b = append(b, 0, 0, 0, 0)
		for _, v := range []uint32{uint32(dpi), 1, uint32(dpi), 1} {
			b = le.AppendUint32(b, v)
		}
	}
	return b
}

// noisePage is a w×h gray page of light noise (which Deflate cannot shrink much) with a dark
// bar, different for each seed.
func noisePage(w, h int, seed uint64) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range g.Pix {
		g.Pix[i] = 200 + uint8(r.IntN(56))
	}
	for y := h / 3; y < h/3+h/20; y++ {
		for x := w / 5; x < w*4/5; x++ {
			g.Pix[y*g.Stride+x] = 20
		}
	}
	return g
}

// TestOriginalsHashOnce checks that Originals hashes a file for its first page and gives its
// other pages that identity without reading the file again, while a nil Originals hashes the
// file every time.
func TestOriginalsHashOnce(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.tif")
	first, second := []byte("first contents"), []byte("second contents, longer")
	if err := os.WriteFile(p, first, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	pg1, pg2 := &Page{File: "a.tif", FilePage: 1}, &Page{File: "a.tif", FilePage: 2}
	var s Originals
	o1, err := s.Identify(dir, pg1)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Original{File: "a.tif", SHA256: sum(first), Size: int64(len(first))}); o1 != want {
		t.Fatalf("first page: %+v, want %+v", o1, want)
	}
	// Changing the file shows whether it is read again.
	if err := os.WriteFile(p, second, 0o644); err != nil {
		t.Fatal(err)
	}
	if o2, err := s.Identify(dir, pg2); err != nil || o2 != o1 {
		t.Errorf("second page: %+v, %v; want the first page's %+v (file hashed once)", o2, err, o1)
	}
	var none *Originals
	if o, err := none.Identify(dir, pg2); err != nil || o.SHA256 != sum(second) || o.Size != int64(len(second)) {
		t.Errorf("nil Originals: %+v, %v; want the file hashed again", o, err)
	}
	// A missing file fails every page that asks, each naming its own page.
	var s2 Originals
	for _, pg := range []*Page{{File: "gone.tif", FilePage: 1}, {File: "gone.tif", FilePage: 3}} {
		_, err := s2.Identify(dir, pg)
		var pe *PageError
		if !errors.As(err, &pe) || pe.File != "gone.tif" || pe.Page != pg.FilePage || !errors.Is(err, os.ErrNotExist) {
			t.Errorf("missing file, page %d: %v", pg.FilePage, err)
		}
	}
}

// TestProcessPageReadsOnePage checks that processing one page of a long multi-page TIFF reads
// that page, not the whole file: the Go memory allocated for the page (runtime TotalAlloc) is
// well under the file's size. Reading the file whole for every page allocated its size each time.
func TestProcessPageReadsOnePage(t *testing.T) {
	const n, w, h = 80, 400, 500
	pages := make([]*image.Gray, n)
	for i := range pages {
		pages[i] = noisePage(w, h, uint64(i))
	}
	data := multiTIFF(pages, 100)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "long.tif"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	eng, err := ocr.NewEngine(ocr.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	pg := &Page{Index: 1, File: "long.tif", FilePage: n / 2, DPI: 100}
	ctx := context.Background()
	var originals Originals
	if _, err := ProcessPage(ctx, eng, dir, pg, PageOptions{DPI: 100, Originals: &originals}); err != nil {
		t.Fatal(err) // warm-up: the file's hash, the engine's first page
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := ProcessPage(ctx, eng, dir, pg, PageOptions{DPI: 100, Originals: &originals})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if res.Width != w && res.Height != h && res.Width != h {
		t.Errorf("page decoded %d×%d, want about %d×%d", res.Width, res.Height, w, h)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("page %d of a %d KB file: %d KB allocated", pg.FilePage, len(data)>>10, alloc>>10)
	if alloc > uint64(len(data))/2 {
		t.Errorf("processing one page allocated %d KB, the file is %d KB: the file was read whole", alloc>>10, len(data)>>10)
	}
}

// TestOriginalsKnown checks that an identity given with Known is what every page of the file
// gets, without the file being read (here it does not even exist).
func TestOriginalsKnown(t *testing.T) {
	var s Originals
	want := Original{File: "scan.tif", SHA256: strings.Repeat("ab", 32), Size: 411}
	s.Known(want)
	for _, n := range []int{1, 2} {
		if o, err := s.Identify(t.TempDir(), &Page{File: "scan.tif", FilePage: n}); err != nil || o != want {
			t.Errorf("page %d: %+v, %v; want the known %+v", n, o, err, want)
		}
	}
}
