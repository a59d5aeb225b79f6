package pades_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/pades"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa/pdfatest"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/pipeline/seal/signertest"
)

// TestSignFileSameAsSign: signing a file in place gives the same bytes as
// signing its contents in memory (same PDF, RSA key, time), for PDF/A-2b and
// PDF/A-1b, one and two pages; pdfsig finds the file's signature valid.
func TestSignFileSameAsSign(t *testing.T) {
	at := time.Date(2026, 3, 8, 14, 5, 9, 0, pades.Vietnam)
	key, roots := signertest.RSA(t, "Sở Nội vụ tỉnh Bắc Minh", at)
	opts := pades.Options{Roots: roots, Now: func() time.Time { return at }, Location: "Bắc Minh"}
	ctx := context.Background()
	for _, c := range []struct {
		part  pdfa.Part
		pages int
	}{{pdfa.PDFA2B, 1}, {pdfa.PDFA1B, 2}} {
		t.Run(fmt.Sprintf("%s-%d", c.part, c.pages), func(t *testing.T) {
			in := makePDF(t, c.part, c.pages)
			want, err := pades.Sign(ctx, in, key, opts)
			if err != nil {
				t.Fatal(err)
			}
			path := writeTemp(t, "in.pdf", in)
			signFile(t, path, key, opts)
			got := mustRead(t, path)
			if !bytes.Equal(got, want) {
				t.Fatalf("SignFile wrote %d bytes, Sign %d; they differ", len(got), len(want))
			}
			rep := pdfatest.Tool(t, "pdfsig", path)
			contains(t, "pdfsig", rep, "Signature is Valid", "Total document signed", "Signature Type: ETSI.CAdES.detached")
		})
	}
}

// TestSignFileRefusesOthers: SignFile reads only the PDFs sohoa writes, and
// refuses a file already signed (an earlier update) rather than guess.
func TestSignFileRefusesOthers(t *testing.T) {
	key, roots := signertest.RSA(t, "Sở Nội vụ tỉnh Bắc Minh", time.Now())
	opts := pades.Options{Roots: roots}
	in := makePDF(t, pdfa.PDFA2B, 1)
	signed, err := pades.Sign(context.Background(), in, key, opts)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"signed.pdf": signed, "truncated.pdf": in[:len(in)-200], "empty.pdf": nil} {
		f, err := os.OpenFile(writeTemp(t, name, data), os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := pades.SignFile(context.Background(), f, key, opts); err == nil {
			t.Errorf("%s: signed, want an error", name)
		}
		f.Close()
	}
}

// TestSignFileMemory: signing a 150 MB PDF (made by the pdfa writer from
// spilled pages) allocates far less than the file's size: the file is
// streamed for the digest, never loaded. pdfsig finds the signature valid.
func TestSignFileMemory(t *testing.T) {
	const pages, limit = 40, 16 << 20
	dir := t.TempDir()
	path := bigPDF(t, dir, pages)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() < 100<<20 {
		t.Fatalf("test PDF is %d bytes, want at least 100 MB", st.Size())
	}
	key, roots := signertest.RSA(t, "Sở Nội vụ tỉnh Bắc Minh", time.Now())
	opts := pades.Options{Roots: roots}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	signFile(t, path, key, opts)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("signing a %d MB PDF allocated %.1f MB", st.Size()>>20, float64(alloc)/(1<<20))
	if alloc > limit {
		t.Errorf("signing a %d-byte PDF allocated %d bytes, want under %d", st.Size(), alloc, limit)
	}
	rep := pdfatest.Tool(t, "pdfsig", path)
	contains(t, "pdfsig", rep, "Signature is Valid", "Total document signed")
}

func signFile(t testing.TB, path string, key seal.Signer, opts pades.Options) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pades.SignFile(context.Background(), f, key, opts); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// bigPDF writes a PDF/A of n pages, each a 2.5 MB noise JPEG spilled to
// disk (one image, put in the spool once), and returns its path.
func bigPDF(t testing.TB, dir string, n int) string {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 2480, 1754))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.Uint32())
	}
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	sp, err := pdfa.NewSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	r, err := sp.Put(jb.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	ps := make([]pdfa.Page, n)
	for i := range ps {
		ps[i] = pdfa.Page{Image: pdfa.Image{Filter: pdfa.DCT, Width: 2480, Height: 1754, Gray: true, BitsPerComponent: 8},
			Spilled: io.NewSectionReader(r, 0, r.Size()), DPIX: 300, DPIY: 300}
	}
	path := filepath.Join(dir, "big.pdf")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	meta := pdfa.Metadata{Title: "Hồ sơ dài", Creator: "Sở Nội vụ tỉnh Bắc Minh", Language: "vi", Identifier: "H49.64.33.2001.160.2",
		Date: time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC), Producer: "sohoa test"}
	if err := pdfa.Write(context.Background(), f, ps, meta, pdfa.Options{Part: pdfa.PDFA2B}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
