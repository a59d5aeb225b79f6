package pdfa

import (
	"image"
	"slices"
	"testing"
	"unicode/utf16"
)

func TestWordCIDs(t *testing.T) {
	for in, want := range map[string]string{
		"Nguye\u0302\u0303n": "Nguyễn", // NFD in, NFC out
		" Đặng\t":            "Đặng",
		"a \u00a0 b":         "a b",
		"x\x00y\u200b":       "xy\u200b", // control dropped, format character kept
		"😀":                  "\uFFFD",
		"":                   "",
	} {
		if got := string(utf16.Decode(wordCIDs(in))); got != want {
			t.Errorf("wordCIDs(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTextLines(t *testing.T) {
	words := []Word{
		{"a", image.Rect(10, 10, 20, 20)},
		{"b", image.Rect(30, 12, 40, 22)},
		{"c", image.Rect(10, 40, 20, 50)},  // below: new line
		{"d", image.Rect(5, 41, 8, 50)},    // left of c: new line
		{"", image.Rect(50, 41, 60, 50)},   // dropped
		{"e", image.Rect(50, 41, 50, 50)},  // empty box: dropped
		{"f", image.Rect(90, 41, 120, 50)}, // clipped to the image
	}
	sizes := func(ls [][]textWord) []int {
		var n []int
		for _, l := range ls {
			n = append(n, len(l))
		}
		return n
	}
	bounds := image.Rect(0, 0, 100, 100)
	ls := textLines(words, nil, bounds)
	if got := sizes(ls); !slices.Equal(got, []int{2, 1, 2}) {
		t.Errorf("geometric lines %v, want [2 1 2]", got)
	}
	if ls[2][1].box != image.Rect(90, 41, 100, 50) {
		t.Errorf("box not clipped: %v", ls[2][1].box)
	}
	ls = textLines(words, []int{0, 0, 0, 0, 1, 1, 1}, bounds)
	if got := sizes(ls); !slices.Equal(got, []int{4, 1}) {
		t.Errorf("numbered lines %v, want [4 1]", got)
	}
}
