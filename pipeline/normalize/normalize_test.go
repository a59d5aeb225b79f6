package normalize

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"
)

// randomGray is a w×h gray image of random pixels.
func randomGray(w, h int, seed uint64) *image.Gray {
	rng := rand.New(rand.NewPCG(seed, 1))
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = uint8(rng.IntN(256))
	}
	return g
}

// randomRGBA is a w×h opaque colour image of random pixels.
func randomRGBA(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 2))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = uint8(rng.IntN(256))
		if i%4 == 3 {
			m.Pix[i] = 255
		}
	}
	return m
}

func sameColor(a, b color.Color) bool {
	r1, g1, b1, a1 := a.RGBA()
	r2, g2, b2, a2 := b.RGBA()
	return r1>>8 == r2>>8 && g1>>8 == g2>>8 && b1>>8 == b2>>8 && a1>>8 == a2>>8
}

func TestRotate(t *testing.T) {
	const w, h = 37, 23
	// Where the source pixel (x, y) lands after a clockwise turn.
	dest := map[int]func(x, y int) image.Point{
		90:  func(x, y int) image.Point { return image.Pt(h-1-y, x) },
		180: func(x, y int) image.Point { return image.Pt(w-1-x, h-1-y) },
		270: func(x, y int) image.Point { return image.Pt(y, w-1-x) },
	}
	for _, src := range []image.Image{randomGray(w, h, 1), randomRGBA(w, h, 2)} {
		_, gray := src.(*image.Gray)
		for deg, to := range dest {
			out, err := Rotate(src, deg)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := out.(*image.Gray); ok != gray {
				t.Errorf("%T turned %d gave %T", src, deg, out)
			}
			if _, ok := out.(*image.NRGBA); !gray && !ok {
				t.Errorf("colour turned %d gave %T", deg, out)
			}
			size := image.Pt(w, h)
			if deg != 180 {
				size = image.Pt(h, w)
			}
			if out.Bounds() != (image.Rectangle{Max: size}) {
				t.Fatalf("%T turned %d: bounds %v", src, deg, out.Bounds())
			}
			for y := range h {
				for x := range w {
					if p := to(x, y); !sameColor(out.At(p.X, p.Y), src.At(x, y)) {
						t.Fatalf("%T turned %d: (%d, %d) did not land at %v", src, deg, x, y, p)
					}
				}
			}
			// Turning back restores the image.
			back, err := Rotate(out, (360-deg)%360)
			if err != nil {
				t.Fatal(err)
			}
			for y := range h {
				for x := range w {
					if !sameColor(back.At(x, y), src.At(x, y)) {
						t.Fatalf("%T turned %d and back differs at (%d, %d)", src, deg, x, y)
					}
				}
			}
		}
		if out, err := Rotate(src, 0); err != nil || out != src {
			t.Errorf("Rotate 0 = %T, %v; want the image itself", out, err)
		}
	}
	for _, deg := range []int{45, -90, 360, 1, 89} {
		if _, err := Rotate(randomGray(4, 4, 3), deg); err == nil {
			t.Errorf("Rotate %d: no error", deg)
		}
	}
}

func TestRotateKeepsGray(t *testing.T) {
	g16 := image.NewGray16(image.Rect(5, 5, 15, 10))
	g16.SetGray16(5, 5, color.Gray16{0xffff})
	sub := randomGray(20, 20, 4).SubImage(image.Rect(3, 4, 13, 9))
	for _, img := range []image.Image{g16, sub} {
		out, err := Rotate(img, 90)
		if err != nil {
			t.Fatal(err)
		}
		g, ok := out.(*image.Gray)
		if !ok || g.Bounds() != image.Rect(0, 0, 5, 10) {
			t.Fatalf("%T: got %T %v", img, out, out.Bounds())
		}
		// The top-left source pixel goes to the top right.
		b := img.Bounds()
		if !sameColor(g.At(4, 0), img.At(b.Min.X, b.Min.Y)) {
			t.Errorf("%T: top-left pixel misplaced", img)
		}
	}
	ycc := image.NewYCbCr(image.Rect(0, 0, 8, 6), image.YCbCrSubsampleRatio420)
	out, err := Rotate(ycc, 270)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := out.(*image.NRGBA); !ok || out.Bounds() != image.Rect(0, 0, 6, 8) {
		t.Errorf("YCbCr turned: %T %v", out, out.Bounds())
	}
}

// paper is the gray level and colour of the synthetic pages.
const paperGray = 228

var paperColor = color.NRGBA{240, 228, 200, 255}

// skewedPage draws a w×h page turned counter-clockwise by skew degrees about
// its centre: paper (with some noise) and a black bar covering rows y0 to
// y0+thick-1 and columns x0 to x1-1 of the upright page, antialiased.
func skewedPage(w, h int, skew float64, x0, x1, y0, thick int, colour bool) image.Image {
	rng := rand.New(rand.NewPCG(7, 7))
	var g *image.Gray
	var c *image.NRGBA
	if colour {
		c = image.NewNRGBA(image.Rect(0, 0, w, h))
	} else {
		g = image.NewGray(image.Rect(0, 0, w, h))
	}
	sin, cos := math.Sincos(skew * math.Pi / 180)
	cx, cy := float64(w-1)/2, float64(h-1)/2
	for y := range h {
		for x := range w {
			// The ink covering the pixel, a square about (x, y), from 4×4
			// samples. Counter-clockwise on screen (y down) is R(-skew); undo it.
			ink := 0.0
			for i := range 16 {
				dx := float64(x) - cx + (float64(i%4)-1.5)/4
				dy := float64(y) - cy + (float64(i/4)-1.5)/4
				ux, uy := cos*dx-sin*dy+cx, sin*dx+cos*dy+cy
				if ux >= float64(x0) && ux < float64(x1) && uy >= float64(y0)-0.5 && uy < float64(y0+thick)-0.5 {
					ink += 1.0 / 16
				}
			}
			mix := func(paper, dark uint8, n int) uint8 {
				return uint8(math.Round((1-ink)*float64(int(paper)+n) + ink*float64(dark)))
			}
			n := rng.IntN(9) - 4
			if colour {
				c.SetNRGBA(x, y, color.NRGBA{mix(paperColor.R, 20, n), mix(paperColor.G, 20, n), mix(paperColor.B, 30, n), 255})
			} else {
				g.SetGray(x, y, color.Gray{mix(paperGray, 15, n)})
			}
		}
	}
	if colour {
		return c
	}
	return g
}

func lum(c color.Color) float64 {
	return float64(color.GrayModel.Convert(c).(color.Gray).Y)
}

// fitBar finds the dark bar in columns x0..x1 of img: the slope in degrees
// (counter-clockwise positive) and the centre row at column xm.
func fitBar(t *testing.T, img image.Image, x0, x1, xm int) (deg, yAt float64) {
	t.Helper()
	var sx, sy, sxx, sxy, n float64
	b := img.Bounds()
	for x := x0; x < x1; x++ {
		var wsum, ysum float64
		for y := b.Min.Y; y < b.Max.Y; y++ {
			if d := 200 - lum(img.At(x, y)); d > 0 {
				wsum += d
				ysum += d * float64(y)
			}
		}
		if wsum == 0 {
			t.Fatalf("no bar in column %d", x)
		}
		yc := ysum / wsum
		sx, sy, sxx, sxy, n = sx+float64(x), sy+yc, sxx+float64(x*x), sxy+float64(x)*yc, n+1
	}
	slope := (n*sxy - sx*sy) / (n*sxx - sx*sx)
	icept := (sy - slope*sx) / n
	// y grows downward: a bar rising to the right is turned counter-clockwise.
	return -math.Atan(slope) * 180 / math.Pi, icept + slope*float64(xm)
}

func TestDeskew(t *testing.T) {
	const w, h = 600, 800
	const x0, x1, y0, thick = 100, 500, 300, 6
	for _, colour := range []bool{false, true} {
		for _, skew := range []float64{2.5, -3, 0.7, -0.3} {
			page := skewedPage(w, h, skew, x0, x1, y0, thick, colour)
			// The synthetic page is skewed as stated.
			got, _ := fitBar(t, page, x0+20, x1-20, w/2)
			if math.Abs(got-skew) > 0.05 {
				t.Fatalf("test page: bar at %.3f°, want %.3f°", got, skew)
			}
			out := Deskew(page, skew)
			if out.Bounds() != page.Bounds() {
				t.Fatalf("bounds %v, want %v", out.Bounds(), page.Bounds())
			}
			switch out.(type) {
			case *image.Gray:
				if colour {
					t.Errorf("colour page came back gray")
				}
			case *image.NRGBA:
				if !colour {
					t.Errorf("gray page came back colour")
				}
			default:
				t.Errorf("got %T", out)
			}
			deg, y := fitBar(t, out, x0+20, x1-20, w/2)
			t.Logf("colour %v skew %5.2f°: bar after deskew at %+.3f°, row %.2f (want %.1f)", colour, skew, deg, y, y0+(thick-1)/2.0)
			if math.Abs(deg) > 0.05 {
				t.Errorf("colour %v skew %v: bar still at %.3f°", colour, skew, deg)
			}
			if want := y0 + (thick-1)/2.0; math.Abs(y-want) > 0.25 {
				t.Errorf("colour %v skew %v: bar at row %.2f, want %.1f", colour, skew, y, want)
			}
			// The uncovered corners take the colour of the paper.
			if math.Abs(skew) > 1 {
				for _, p := range []image.Point{{0, 0}, {w - 1, 0}, {0, h - 1}, {w - 1, h - 1}} {
					c := out.At(p.X, p.Y)
					want := color.Color(color.Gray{paperGray})
					if colour {
						want = paperColor
					}
					r1, g1, b1, _ := c.RGBA()
					r2, g2, b2, _ := want.RGBA()
					if diff(r1, r2) > 6 || diff(g1, g2) > 6 || diff(b1, b2) > 6 {
						t.Errorf("colour %v skew %v: corner %v is %v, want about %v", colour, skew, p, c, want)
					}
				}
			}
		}
	}
}

func diff(a, b uint32) uint32 {
	a, b = a>>8, b>>8
	if a > b {
		return a - b
	}
	return b - a
}

func TestDeskewSmallAngle(t *testing.T) {
	g := randomGray(30, 20, 5)
	for _, s := range []float64{0, 0.04, -0.049, math.NaN(), math.Inf(1)} {
		if out := Deskew(g, s); out != image.Image(g) {
			t.Errorf("Deskew(%v) did not return the image itself", s)
		}
	}
	if out := Deskew(g, 0.05); out == image.Image(g) {
		t.Error("Deskew(0.05) returned the image itself")
	}
}

func TestDeskewTypes(t *testing.T) {
	ycc := image.NewYCbCr(image.Rect(0, 0, 40, 30), image.YCbCrSubsampleRatio420)
	g16 := image.NewGray16(image.Rect(2, 3, 42, 33))
	rgba := randomRGBA(40, 30, 6)
	sub := randomGray(50, 50, 7).SubImage(image.Rect(5, 5, 45, 35))
	for _, tt := range []struct {
		img  image.Image
		gray bool
	}{{ycc, false}, {g16, true}, {rgba, false}, {sub, true}} {
		out := Deskew(tt.img, 1)
		_, gray := out.(*image.Gray)
		_, nrgba := out.(*image.NRGBA)
		if gray != tt.gray || nrgba == tt.gray || out.Bounds() != image.Rect(0, 0, 40, 30) {
			t.Errorf("%T: got %T %v", tt.img, out, out.Bounds())
		}
	}
}

func TestBackground(t *testing.T) {
	white := image.NewGray(image.Rect(0, 0, 1, 1))
	white.Pix[0] = 255
	if c := background(image.NewGray(image.Rect(0, 0, 0, 0))); c != (color.Gray{255}) {
		t.Errorf("empty image: %v", c)
	}
	// Dark text in the margins does not darken the estimate.
	p := skewedPage(300, 400, 0, 0, 300, 2, 4, false)
	if c := background(p).(color.Gray); c.Y < paperGray-2 || c.Y > paperGray+4 {
		t.Errorf("background %v, want about %d", c, paperGray)
	}
	pc := skewedPage(300, 400, 0, 0, 300, 2, 4, true)
	if c := background(pc).(color.NRGBA); diff(uint32(c.R)<<8, uint32(paperColor.R)<<8) > 4 || diff(uint32(c.B)<<8, uint32(paperColor.B)<<8) > 4 {
		t.Errorf("background %v, want about %v", c, paperColor)
	}
}

// borderedPage is a page of paper with some text-like blocks inside its
// margins and a black scanner border of the given widths.
func borderedPage(w, h, top, right, bottom, left int, colour bool) image.Image {
	rng := rand.New(rand.NewPCG(9, 9))
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = uint8(225 + rng.IntN(20))
	}
	// Lines of "text": dark dashes inside a 40-pixel margin, and a heavy
	// black block touching the margin.
	for y := 60; y < h-60; y += 24 {
		for x := 50; x < w-50; x++ {
			if (x/9)%3 != 0 {
				for dy := range 8 {
					g.Pix[(y+dy)*g.Stride+x] = uint8(rng.IntN(60))
				}
			}
		}
	}
	for y := 40; y < 55; y++ {
		for x := 40; x < w-40; x++ {
			g.Pix[y*g.Stride+x] = 0
		}
	}
	for y := range h {
		for x := range w {
			if y < top || y >= h-bottom || x < left || x >= w-right {
				g.Pix[y*g.Stride+x] = uint8(rng.IntN(50))
			}
		}
	}
	if !colour {
		return g
	}
	c := image.NewRGBA(g.Rect)
	for i, v := range g.Pix {
		c.Pix[4*i], c.Pix[4*i+1], c.Pix[4*i+2], c.Pix[4*i+3] = v, v, v/2+100, 255
	}
	return c
}

func TestCropBorders(t *testing.T) {
	const w, h = 400, 560
	tests := []struct {
		top, right, bottom, left int
	}{
		{12, 7, 0, 20},
		{0, 0, 30, 0},
		{5, 5, 5, 5},
		{0, 60, 0, 0},
	}
	for _, colour := range []bool{false, true} {
		for _, tt := range tests {
			img := borderedPage(w, h, tt.top, tt.right, tt.bottom, tt.left, colour)
			out, r := CropBorders(img)
			want := image.Rect(tt.left, tt.top, w-tt.right, h-tt.bottom)
			if abs(r.Min.X-want.Min.X) > 2 || abs(r.Min.Y-want.Min.Y) > 2 || abs(r.Max.X-want.Max.X) > 2 || abs(r.Max.Y-want.Max.Y) > 2 {
				t.Errorf("colour %v border %v: crop %v, want %v ±2", colour, tt, r, want)
			}
			if out.Bounds() != image.Rect(0, 0, r.Dx(), r.Dy()) {
				t.Errorf("colour %v border %v: result bounds %v for crop %v", colour, tt, out.Bounds(), r)
			}
			_, gray := out.(*image.Gray)
			if gray == colour {
				t.Errorf("colour %v: result %T", colour, out)
			}
			// The result is the cropped part of the page.
			for _, p := range []image.Point{{0, 0}, {r.Dx() / 2, r.Dy() / 3}, {r.Dx() - 1, r.Dy() - 1}} {
				if !sameColor(out.At(p.X, p.Y), img.At(p.X+r.Min.X, p.Y+r.Min.Y)) {
					t.Errorf("colour %v border %v: pixel %v differs from the source", colour, tt, p)
				}
			}
		}
	}
}

func TestCropBordersLeavesPagesAlone(t *testing.T) {
	// A page without border, with its heavy black block in the margin.
	for _, colour := range []bool{false, true} {
		img := borderedPage(400, 560, 0, 0, 0, 0, colour)
		out, r := CropBorders(img)
		if out != img || r != img.Bounds() {
			t.Errorf("colour %v: borderless page cropped to %v", colour, r)
		}
	}
	// A dark picture is not a border.
	dark := image.NewGray(image.Rect(0, 0, 50, 40))
	if out, r := CropBorders(dark); out != image.Image(dark) || r != dark.Rect {
		t.Errorf("black image cropped to %v", r)
	}
	// A shadow along less than half of an edge is not a border.
	g := borderedPage(400, 560, 0, 0, 0, 0, false).(*image.Gray)
	for y := range 200 {
		for x := range 10 {
			g.Pix[y*g.Stride+x] = 0
		}
	}
	if _, r := CropBorders(g); r != g.Rect {
		t.Errorf("partial shadow cropped to %v", r)
	}
	// Bounds not at the origin.
	sub := borderedPage(400, 560, 10, 10, 10, 10, false).(*image.Gray).SubImage(image.Rect(5, 5, 395, 555))
	out, r := CropBorders(sub)
	if abs(r.Min.X-10) > 2 || abs(r.Max.Y-550) > 2 || out.Bounds().Min != (image.Point{}) {
		t.Errorf("sub-image: crop %v, result %v", r, out.Bounds())
	}
	empty := image.NewGray(image.Rectangle{})
	if _, r := CropBorders(empty); !r.Empty() {
		t.Errorf("empty: %v", r)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// a4 is a 300-dpi A4 page.
func a4(colour bool) image.Image {
	return borderedPage(2480, 3508, 0, 0, 0, 0, colour)
}

func BenchmarkRotate(b *testing.B) {
	img := a4(false)
	for b.Loop() {
		Rotate(img, 90)
	}
}

func BenchmarkRotate180(b *testing.B) {
	img := a4(false)
	for b.Loop() {
		Rotate(img, 180)
	}
}

func BenchmarkRotateColour(b *testing.B) {
	img := a4(true)
	for b.Loop() {
		Rotate(img, 90)
	}
}

func BenchmarkDeskew(b *testing.B) {
	img := a4(false)
	for b.Loop() {
		Deskew(img, 1.3)
	}
}

func BenchmarkDeskewColour(b *testing.B) {
	img := a4(true)
	for b.Loop() {
		Deskew(img, 1.3)
	}
}

func BenchmarkCropBorders(b *testing.B) {
	img := borderedPage(2480, 3508, 30, 20, 10, 40, false)
	for b.Loop() {
		CropBorders(img)
	}
}
