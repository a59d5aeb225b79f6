package ocr

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"testing"
)

func TestParseInks(t *testing.T) {
	for in, want := range map[string]Inks{"red,blue": InkRed | InkBlue, " Blue , red ": InkRed | InkBlue,
		"red": InkRed, "blue": InkBlue, "none": 0, "": 0} {
		got, err := ParseInks(in)
		if err != nil || got != want {
			t.Errorf("ParseInks(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back, err := ParseInks(got.String()); err != nil || back != got {
			t.Errorf("ParseInks(%q.String() = %q) = %v, %v", in, got.String(), back, err)
		}
	}
	if _, err := ParseInks("red,green"); err == nil {
		t.Error("ParseInks(red,green): no error")
	}
}

// TestDropoutGray paints black print, a red seal stroke over it, a blue pen stroke and
// cream paper, and checks that only the inks asked for turn light, that the print under the
// seal stays dark, and that the colour image is not changed.
func TestDropoutGray(t *testing.T) {
	paper := color.NRGBA{245, 235, 211, 255}
	black := color.NRGBA{35, 33, 30, 255}
	red := color.NRGBA{205, 45, 50, 255}
	blue := color.NRGBA{55, 83, 128, 255}
	img := image.NewNRGBA(image.Rect(0, 0, 60, 40))
	for y := 0; y < 40; y++ {
		for x := 0; x < 60; x++ {
			c := paper
			switch {
			case y >= 10 && y < 14 && x >= 5 && x < 25: // print, crossed by the seal at x 15..19
				c = black
			case x >= 15 && x < 20:
				c = red
			case x >= 40 && x < 43:
				c = blue
			}
			img.SetNRGBA(x, y, c)
		}
	}
	orig := bytes.Clone(img.Pix)
	at := func(g *image.Gray, x, y int) uint8 { return g.GrayAt(x, y).Y }

	none := DropoutGray(img, 0)
	both := DropoutGray(img, InkRed|InkBlue)
	onlyRed := DropoutGray(img, InkRed)
	if !bytes.Equal(img.Pix, orig) {
		t.Fatal("DropoutGray changed the colour image")
	}
	for _, c := range []struct {
		name string
		g    *image.Gray
		x, y int
		dark bool
	}{
		{"print, no dropout", none, 8, 11, true},
		{"red seal, no dropout", none, 17, 30, true},
		{"blue pen, no dropout", none, 41, 30, true},
		{"print, dropout", both, 8, 11, true},
		{"print under the seal, dropout", both, 17, 11, true},
		{"red seal, dropout", both, 17, 30, false},
		{"blue pen, dropout", both, 41, 30, false},
		{"paper, dropout", both, 55, 30, false},
		{"red seal, red dropout", onlyRed, 17, 30, false},
		{"blue pen, red dropout", onlyRed, 41, 30, true},
	} {
		v := at(c.g, c.x, c.y)
		if c.dark && v >= 140 || !c.dark && v < 180 {
			t.Errorf("%s: gray %d, want dark=%v", c.name, v, c.dark)
		}
	}
	if a, b := at(none, 55, 30), at(both, 55, 30); a != b {
		t.Errorf("paper %d with dropout, %d without", b, a)
	}
	// The same page as premultiplied *image.RGBA drops alike.
	rgba := image.NewRGBA(img.Rect)
	draw.Draw(rgba, rgba.Rect, img, image.Point{}, draw.Src)
	if d := DropoutGray(rgba, InkRed|InkBlue); !bytes.Equal(d.Pix, both.Pix) {
		t.Error("the page as RGBA: not the gray of the page as NRGBA")
	}
	// A page with transparent pixels: they are paper (composited on white),
	// and the ink of its opaque pixels is still dropped.
	for _, m := range []draw.Image{image.NewNRGBA(img.Rect), image.NewRGBA(img.Rect)} {
		draw.Draw(m, m.Bounds(), img, image.Point{}, draw.Src)
		m.Set(55, 30, color.NRGBA{0, 0, 0, 0})
		m.Set(56, 30, color.NRGBA{0, 0, 0, 0x80})
		d := DropoutGray(m, InkRed|InkBlue)
		if v := at(d, 55, 30); v != 0xff {
			t.Errorf("%T: transparent pixel: gray %d, want 255", m, v)
		}
		if v := at(d, 56, 30); v < 0x7e || v > 0x81 {
			t.Errorf("%T: half-transparent black: gray %d, want about 128", m, v)
		}
		if v := at(d, 17, 30); v < 180 {
			t.Errorf("%T with transparent pixels: red seal, dropout: gray %d, want light", m, v)
		}
		if v := at(d, 8, 11); v >= 140 {
			t.Errorf("%T with transparent pixels: print, dropout: gray %d, want dark", m, v)
		}
	}
	// A gray image is read as it is.
	g := ToGray(img)
	if d := DropoutGray(g, InkRed|InkBlue); d != g {
		t.Error("gray image not passed through")
	}
}
