package pades

import (
	"bytes"
	"context"
	"image"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
)

// testPDF is a small one-page PDF/A-2b with a few words.
func testPDF(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 620, 877))
	for i := range img.Pix {
		img.Pix[i] = 0xee
	}
	enc, err := pdfa.EncodeImage(img, pdfa.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	meta := pdfa.Metadata{Title: "Quyet dinh", Creator: "Sở Nội vụ", Language: "vi", Identifier: "H49.1",
		Date: time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC), Producer: "sohoa test"}
	page := pdfa.Page{Image: enc, DPIX: 75, DPIY: 75, Words: []pdfa.Word{{Text: "Quyết", Box: image.Rect(100, 100, 200, 120)}}}
	if err := pdfa.Write(context.Background(), &buf, []pdfa.Page{page}, meta, pdfa.Options{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
