package pades_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// makePDF writes a one- or two-page PDF/A of the given part with a few
// Vietnamese words, like the pipeline's output.
func makePDF(t testing.TB, part pdfa.Part, pages int) []byte {
	t.Helper()
	var ps []pdfa.Page
	for p := 0; p < pages; p++ {
		img := image.NewRGBA(image.Rect(0, 0, 1240, 1754)) // A4 at 150 dpi
		for i := range img.Pix {
			img.Pix[i] = 0xff
		}
		for y := 300; y < 340; y++ {
			for x := 200; x < 1000; x++ {
				img.Set(x, y, color.RGBA{20, 20, 20, 255})
			}
		}
		enc, err := pdfa.EncodeImage(img, pdfa.EncodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		words := []pdfa.Word{
			{Text: "Quyết", Box: image.Rect(200, 300, 380, 340)},
			{Text: "định", Box: image.Rect(400, 300, 560, 340)},
			{Text: "số", Box: image.Rect(580, 300, 660, 340)},
			{Text: "12/QĐ-UBND", Box: image.Rect(680, 300, 1000, 340)},
		}
		ps = append(ps, pdfa.Page{Image: enc, DPIX: 150, DPIY: 150, Words: words})
	}
	var buf bytes.Buffer
	meta := pdfa.Metadata{Title: "Quyết định số 12", Creator: "Sở Nội vụ tỉnh Bắc Minh", Language: "vi",
		Identifier: "H49.64.33.2001.160.1", Date: time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC), Producer: "sohoa test",
		Archive: map[string]string{"digitizedFrom": "Số hóa từ tài liệu giấy"}}
	if err := pdfa.Write(context.Background(), &buf, ps, meta, pdfa.Options{Part: part}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// devSigner makes development keys in a temporary folder and returns the
// signer and the CA file.
func devSigner(t testing.TB) (*seal.FileSigner, string) {
	t.Helper()
	dir := t.TempDir()
	k, err := seal.WriteDevelopmentKeys(dir, "Sở Nội vụ tỉnh Bắc Minh", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s, err := seal.LoadSigner(k.Key, k.Cert)
	if err != nil {
		t.Fatal(err)
	}
	return s, k.CA
}

func writeTemp(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func contains(t testing.TB, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s: no %q in:\n%s", what, w, out)
		}
	}
}

func mustRead(t testing.TB, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
