package ocr

import (
	"image"
	"testing"
)

func TestPlausible(t *testing.T) {
	for _, w := range []string{"Nguyễn", "(b/c);", "UBND", "QĐ-UBND", "VH&TT", "1.273", "18,6", "1/12", "2023-2024",
		"-", "./.", ":", "“Số", "Kế-hoạch", "huyện;", "VT."} {
		if !Plausible(w) {
			t.Errorf("Plausible(%q) = false", w)
		}
	}
	for _, w := range []string{"@39_", "{5", "⁄‡€", "H8'Ïãñ", ">~é", "k/", "o8", "Nv.", "2m“", "&C", "N", "`\\Dưỡng",
		"šÿfEETTETnSWDvrrtitTlensptroirnii", "`", "%", "e~"} {
		if Plausible(w) {
			t.Errorf("Plausible(%q) = true", w)
		}
	}
}

func TestMarkJunk(t *testing.T) {
	ink := newInkGrid(image.Rect(0, 0, 400, 100))
	for y := 50; y < 90; y++ { // a seal stroke under the second line, x 0..400
		for x := 0; x < 400; x += 4 {
			ink.add(x, y)
		}
	}
	words := []Word{
		{Text: "Nguyễn", Box: image.Rect(0, 0, 90, 40), Confidence: 45},  // low, plausible, off ink: kept
		{Text: "là", Box: image.Rect(300, 0, 330, 40), Confidence: 12},   // under the floor: junk
		{Text: "@39_", Box: image.Rect(100, 0, 190, 40), Confidence: 35}, // implausible: junk
		{Text: "Thanh", Box: image.Rect(0, 50, 90, 90), Confidence: 40},  // on ink, low: junk
		{Text: "Trinh", Box: image.Rect(100, 50, 190, 90), Confidence: 80},
		{Text: "%", Box: image.Rect(200, 0, 220, 40), Confidence: 70}, // confident: kept
	}
	if !markJunk(words, ink) {
		t.Fatal("markJunk found no junk")
	}
	for i, want := range []bool{false, true, true, true, false, false} {
		if words[i].Junk != want {
			t.Errorf("%q (confidence %v): junk %v, want %v", words[i].Text, words[i].Confidence, words[i].Junk, want)
		}
	}
	res := Result{Words: words}
	if got := res.Text(); got != "Nguyễn Trinh %" {
		t.Errorf("Text() = %q, want junk left out", got)
	}
	clean := []Word{{Text: "Nguyễn", Box: image.Rect(0, 0, 90, 40), Confidence: 45}}
	if markJunk(clean, nil) || clean[0].Junk {
		t.Error("junk found on a clean page")
	}
}
