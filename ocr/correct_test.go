package ocr

import (
	"image"
	"testing"
)

func TestCorrectSplitsFusedSyllables(t *testing.T) {
	w := func(s string) Word { return Word{Text: s, Box: image.Rect(100, 10, 180, 30), Confidence: 90} }
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"lývà", []string{"lý", "và"}},
		{"lývà,", []string{"lý", "và,"}},
		{"(Hộiđồng", []string{"(Hội", "đồng"}},
		// Never changed: valid syllables, one tone mark, abbreviations, words with digits, junk.
		{"quản", []string{"quản"}},
		{"chỉ", []string{"chỉ"}},
		{"Nguyễn", []string{"Nguyễn"}},
		{"UBND", []string{"UBND"}},
		{"lýv", []string{"lýv"}},
		{"lý2và", []string{"lý2và"}},
		{"(", []string{"("}},
		{"\"", []string{"\""}},
		{"“”", []string{"“”"}},
	} {
		got, n := correctWords([]Word{w(c.in)}, nil)
		var texts []string
		for _, g := range got {
			texts = append(texts, g.Text)
		}
		if len(texts) != len(c.want) || n != len(c.want)-1 {
			t.Errorf("%q: %q (%d changed), want %q", c.in, texts, n, c.want)
			continue
		}
		for i := range texts {
			if texts[i] != c.want[i] {
				t.Errorf("%q: %q, want %q", c.in, texts, c.want)
			}
		}
		if len(got) == 2 && (got[0].Box.Max.X != got[1].Box.Min.X || got[0].Box.Min.X != 100 || got[1].Box.Max.X != 180) {
			t.Errorf("%q: boxes %v %v do not cut the word's box", c.in, got[0].Box, got[1].Box)
		}
	}
	junk := w("lývà")
	junk.Junk = true
	if got, n := correctWords([]Word{junk}, nil); n != 0 || got[0].Text != "lývà" {
		t.Errorf("junk word changed: %q", got[0].Text)
	}
}
