package ocr

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa-vn/sohoa/ocr/accuracy"
)

func TestMain(m *testing.M) {
	// OpenMP reads OMP_THREAD_LIMIT at start-up only, so os.Setenv would come too late.
	if err := ReexecSingleThreaded(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// maxCER is the highest character error rate accepted on a restored sample.
const maxCER = 0.01

// maxSkewError is the largest accepted difference, in degrees, between detected and true skew.
const maxSkewError = 0.3

func newTestEngine(tb testing.TB) *Engine {
	tb.Helper()
	e, err := NewEngine(Options{})
	if err != nil {
		tb.Fatalf("NewEngine: %v", err)
	}
	tb.Cleanup(func() { e.Close() })
	return e
}

func TestSingleThreaded(t *testing.T) {
	if !SingleThreaded() {
		t.Fatalf("OpenMP thread limit is not 1 (OMP_THREAD_LIMIT=%q)", os.Getenv("OMP_THREAD_LIMIT"))
	}
}

// TestSamples runs the whole chain on every sample scan, checking each step against truth.json:
// orientation, then skew of the re-oriented page, then recognition of the straightened page.
func TestSamples(t *testing.T) {
	samples, images := loadSamples(t)
	pool, err := NewPool(2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	for _, s := range samples {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e, err := pool.Get(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Put(e)
			img := images[s.Name]

			o, err := e.DetectOrientation(ctx, img)
			if err != nil {
				t.Fatal(err)
			}
			if o.Degrees != s.RotationDeg {
				t.Fatalf("orientation %d° (confidence %.2f), want %d°", o.Degrees, o.Confidence, s.RotationDeg)
			}
			up := restoreOrientation(img, o.Degrees)

			sk, err := DetectSkew(up)
			if err != nil {
				t.Fatal(err)
			}
			if d := math.Abs(sk.Degrees - s.SkewDeg); d > maxSkewError {
				t.Fatalf("skew %.3f° (confidence %.1f), want %.2f° ± %.1f", sk.Degrees, sk.Confidence, s.SkewDeg, maxSkewError)
			}
			straight := rotateGray(up, -sk.Degrees)

			res, err := e.Recognize(ctx, straight)
			if err != nil {
				t.Fatal(err)
			}
			c := accuracy.CER(res.Text(), s.GT)
			t.Logf("orientation %d° (conf %.1f), skew %.3f° (truth %.2f°, conf %.1f), %d words, mean confidence %.1f, CER %.2f%%",
				o.Degrees, o.Confidence, sk.Degrees, s.SkewDeg, sk.Confidence, len(res.Words), res.MeanConfidence, 100*c)
			if c > maxCER {
				t.Errorf("CER %.2f%% > %.2f%%\ngot:\n%s", 100*c, 100*maxCER, res.Text())
			}
			checkResult(t, res, straight.Bounds())
		})
	}
}

// checkResult checks the invariants of a Result on an image with the given bounds.
func checkResult(t *testing.T, res *Result, bounds image.Rectangle) {
	t.Helper()
	if len(res.Words) == 0 {
		t.Fatal("no words")
	}
	var sum float64
	for i, w := range res.Words {
		if !w.Box.In(bounds) || w.Box.Empty() {
			t.Errorf("word %d %q: box %v not inside image %v", i, w.Text, w.Box, bounds)
		}
		if w.Text == "" || strings.ContainsAny(w.Text, " \t\n") || !norm.NFC.IsNormalString(w.Text) {
			t.Errorf("word %d %q: empty, with spaces or not NFC", i, w.Text)
		}
		if w.Confidence < 0 || w.Confidence > 100 {
			t.Errorf("word %d %q: confidence %v", i, w.Text, w.Confidence)
		}
		if i > 0 {
			p := res.Words[i-1]
			if w.Line < p.Line || w.Line > p.Line+1 {
				t.Errorf("word %d %q: line %d after line %d", i, w.Text, w.Line, p.Line)
			}
			if w.Line == p.Line && (w.Block != p.Block || w.Paragraph != p.Paragraph) {
				t.Errorf("word %d %q: line %d spans paragraphs", i, w.Text, w.Line)
			}
			if w.Line == p.Line && w.Box.Min.X < p.Box.Max.X-2 {
				t.Errorf("word %d %q at %v: not right of %q at %v on the same line", i, w.Text, w.Box, p.Text, p.Box)
			}
		}
		sum += w.Confidence
	}
	if got, want := res.MeanConfidence, sum/float64(len(res.Words)); math.Abs(got-want) > 1e-9 {
		t.Errorf("MeanConfidence %v, want %v", got, want)
	}
}

// TestOrientationTurns turns each upright sample by every quarter turn.
func TestOrientationTurns(t *testing.T) {
	samples, images := loadSamples(t)
	if testing.Short() {
		samples = samples[:1]
	}
	pool, err := NewPool(2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	for _, s := range samples {
		up := restoreOrientation(images[s.Name], s.RotationDeg)
		for _, deg := range []int{90, 180, 270} {
			if deg == s.RotationDeg {
				continue // TestSamples has this one
			}
			t.Run(fmt.Sprintf("%s/%d", s.Name, deg), func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				e, err := pool.Get(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer pool.Put(e)
				o, err := e.DetectOrientation(ctx, turn(up, deg))
				if err != nil {
					t.Fatal(err)
				}
				if o.Degrees != deg {
					t.Errorf("orientation %d° (confidence %.2f), want %d°", o.Degrees, o.Confidence, deg)
				}
			})
		}
	}
}

// TestSkewRange skews straightened samples by up to ±10°.
func TestSkewRange(t *testing.T) {
	samples, images := loadSamples(t)
	for _, s := range samples {
		// Rotating a 300-dpi page costs more than detecting its skew: try fewer angles there.
		skews := []float64{-10, -7.5, -4.2, -0.6, 0, 0.35, 3.3, 6.8, 10}
		if s.DPI > 200 {
			if testing.Short() {
				continue
			}
			skews = []float64{-10, -5.5, 1.7, 10}
		}
		// Truly upright: undo the known turn and skew.
		straight := rotateGray(restoreOrientation(images[s.Name], s.RotationDeg), -s.SkewDeg)
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			for _, deg := range skews {
				sk, err := DetectSkew(rotateGray(straight, deg))
				if err != nil {
					t.Fatal(err)
				}
				if d := math.Abs(sk.Degrees - deg); d > maxSkewError {
					t.Errorf("skewed %.2f°: detected %.3f° (confidence %.1f)", deg, sk.Degrees, sk.Confidence)
				}
			}
		})
	}
}

// TestBoxCoordinates recognises part of a page as a sub-image whose bounds do not start at
// (0, 0), and as a copy that does: the boxes must differ by exactly the offset.
func TestBoxCoordinates(t *testing.T) {
	samples, images := loadSamples(t)
	s := samples[0]
	straight := rotateGray(restoreOrientation(images[s.Name], s.RotationDeg), -s.SkewDeg)
	b := straight.Bounds()
	part := image.Rect(b.Dx()/10, b.Dy()/8, b.Dx()*9/10, b.Dy()*3/8)
	sub := straight.SubImage(part).(*image.Gray)
	moved := image.NewGray(image.Rect(0, 0, part.Dx(), part.Dy()))
	draw.Draw(moved, moved.Bounds(), sub, part.Min, draw.Src)

	e := newTestEngine(t)
	ctx := context.Background()
	rs, err := e.Recognize(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := e.Recognize(ctx, moved)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, rs, part)
	if len(rs.Words) != len(rm.Words) {
		t.Fatalf("%d words in sub-image, %d in copy", len(rs.Words), len(rm.Words))
	}
	for i := range rs.Words {
		if got, want := rs.Words[i].Box, rm.Words[i].Box.Add(part.Min); got != want || rs.Words[i].Text != rm.Words[i].Text {
			t.Errorf("word %d: %q %v in sub-image, %q %v in copy", i, rs.Words[i].Text, got, rm.Words[i].Text, want)
		}
	}
	// Each box must hold ink: its darkest pixel is dark.
	for _, w := range rs.Words {
		darkest := uint8(255)
		for y := w.Box.Min.Y; y < w.Box.Max.Y; y++ {
			for x := w.Box.Min.X; x < w.Box.Max.X; x++ {
				darkest = min(darkest, sub.GrayAt(x, y).Y)
			}
		}
		if darkest > 128 {
			t.Errorf("word %q: box %v holds no ink (darkest %d)", w.Text, w.Box, darkest)
		}
	}
}

func TestBlankPage(t *testing.T) {
	blank := image.NewGray(image.Rect(0, 0, 1240, 1754))
	draw.Draw(blank, blank.Bounds(), image.NewUniform(color.Gray{0xf0}), image.Point{}, draw.Src)
	e := newTestEngine(t)
	ctx := context.Background()
	res, err := e.Recognize(ctx, blank)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Words) != 0 || res.MeanConfidence != 0 || res.Text() != "" {
		t.Errorf("blank page: %d words, mean confidence %v, text %q", len(res.Words), res.MeanConfidence, res.Text())
	}
	o, err := e.DetectOrientation(ctx, blank)
	if err != nil || o != (Orientation{}) {
		t.Errorf("blank page orientation %+v, %v; want zero, nil", o, err)
	}
	sk, err := DetectSkew(blank)
	if err != nil || sk.Degrees != 0 {
		t.Errorf("blank page skew %+v, %v; want 0°, nil", sk, err)
	}
	// Degenerate sizes must not crash.
	for _, r := range []image.Rectangle{{}, image.Rect(0, 0, 1, 1), image.Rect(5, 5, 9, 7)} {
		g := image.NewGray(r)
		if _, err := e.Recognize(ctx, g); err != nil {
			t.Errorf("Recognize %v: %v", r, err)
		}
		if _, err := e.DetectOrientation(ctx, g); err != nil {
			t.Errorf("DetectOrientation %v: %v", r, err)
		}
		if _, err := DetectSkew(g); err != nil {
			t.Errorf("DetectSkew %v: %v", r, err)
		}
	}
}

func TestNewEngineErrors(t *testing.T) {
	for _, opts := range []Options{
		{Languages: "xyz"},
		{TessdataDir: t.TempDir()},
		{Variables: map[string]string{"no_such_variable": "1"}},
	} {
		if e, err := NewEngine(opts); err == nil {
			e.Close()
			t.Errorf("NewEngine(%+v) succeeded", opts)
		}
	}
	e, err := NewEngine(Options{Languages: "vie+eng", TessdataDir: "/usr/share/tesseract-ocr/5/tessdata",
		Variables: map[string]string{"preserve_interword_spaces": "1"}})
	if err != nil {
		t.Fatalf("NewEngine with explicit options: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Error(err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := e.Recognize(context.Background(), image.NewGray(image.Rect(0, 0, 10, 10))); err == nil {
		t.Error("Recognize on closed engine succeeded")
	}
	if _, err := e.DetectOrientation(context.Background(), image.NewGray(image.Rect(0, 0, 10, 10))); err == nil {
		t.Error("DetectOrientation on closed engine succeeded")
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e := newTestEngine(t)
	img := image.NewGray(image.Rect(0, 0, 100, 100))
	if _, err := e.Recognize(ctx, img); err == nil {
		t.Error("Recognize with canceled context succeeded")
	}
	if _, err := e.DetectOrientation(ctx, img); err == nil {
		t.Error("DetectOrientation with canceled context succeeded")
	}
}

func TestPool(t *testing.T) {
	if _, err := NewPool(0, Options{}); err == nil {
		t.Error("NewPool(0) succeeded")
	}
	if _, err := NewPool(1, Options{Languages: "xyz"}); err == nil {
		t.Error("NewPool with bad language succeeded")
	}
	p, err := NewPool(2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e1, e2 := getTwo(t, p)
	if e1 == e2 {
		t.Fatal("Get returned the same engine twice")
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if e, err := p.Get(short); err == nil {
		t.Fatalf("third Get of a pool of 2 returned %p", e)
	}
	got := make(chan *Engine)
	go func() {
		e, err := p.Get(ctx)
		if err != nil {
			t.Error(err)
		}
		got <- e
	}()
	p.Put(e1)
	if e := <-got; e != e1 {
		t.Errorf("blocked Get returned %p, want the engine put back %p", e, e1)
	}
	p.Put(e1)
	p.Put(e2)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if e1.tess != nil || e2.tess != nil {
		t.Error("Close left idle engines open")
	}
	if _, err := p.Get(ctx); err == nil {
		t.Error("Get after Close succeeded")
	}
}

func TestText(t *testing.T) {
	r := &Result{Words: []Word{
		{Text: "CỘNG", Block: 1, Paragraph: 1, Line: 1},
		{Text: "HÒA", Block: 1, Paragraph: 1, Line: 1},
		{Text: "Độc", Block: 1, Paragraph: 1, Line: 2},
		{Text: "lập", Block: 1, Paragraph: 1, Line: 2},
		{Text: "Số:", Block: 1, Paragraph: 2, Line: 3},
		{Text: "QUYẾT", Block: 2, Paragraph: 1, Line: 4},
		{Text: "ĐỊNH", Block: 2, Paragraph: 1, Line: 4},
	}}
	want := "CỘNG HÒA\nĐộc lập\n\nSố:\n\nQUYẾT ĐỊNH"
	if got := r.Text(); got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
	if got := (&Result{}).Text(); got != "" {
		t.Errorf("empty Text() = %q", got)
	}
}

// TestDetectSkewNoLeak checks that repeated skew detection does not grow the process.
func TestDetectSkewNoLeak(t *testing.T) {
	samples, images := loadSamples(t)
	g := ToGray(restoreOrientation(images[samples[2].Name], samples[2].RotationDeg))
	g = cloneGray(g)
	for range 3 {
		DetectSkew(g)
	}
	before := rss(t)
	const n = 40
	for range n {
		if _, err := DetectSkew(g); err != nil {
			t.Fatal(err)
		}
	}
	// A leaked 1-bpp PIX of this page would be about 1.2 MB per call.
	if grow := rss(t) - before; grow > 8<<20 {
		t.Errorf("resident memory grew by %d KB over %d calls", grow>>10, n)
	}
}

func cloneGray(g *image.Gray) *image.Gray {
	c := image.NewGray(g.Bounds())
	draw.Draw(c, c.Bounds(), g, g.Bounds().Min, draw.Src)
	return c
}

// rss returns the resident set size of the process, in bytes.
func rss(t *testing.T) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Fatal(err)
	}
	var size, res int64
	if _, err := fmt.Sscan(string(data), &size, &res); err != nil {
		t.Fatal(err)
	}
	return res * int64(os.Getpagesize())
}

func TestToGray(t *testing.T) {
	r := image.Rect(3, 5, 40, 29)
	nrgba := image.NewNRGBA(r)
	rgba := image.NewRGBA(r)
	ycc := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
	pal := image.NewPaletted(r, color.Palette{color.White, color.Black, color.RGBA{200, 30, 60, 255}, color.NRGBA{10, 20, 30, 0}})
	g16 := image.NewGray16(r)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.NRGBA{uint8(x * 7), uint8(y * 11), uint8(x * y), 255}
			if x%5 == 0 {
				c.A = uint8(y * 9)
			}
			nrgba.SetNRGBA(x, y, c)
			rgba.Set(x, y, c)
			pal.SetColorIndex(x, y, uint8((x+y)%4))
			g16.SetGray16(x, y, color.Gray16{uint16(x * y * 97)})
			yi := ycc.YOffset(x, y)
			ycc.Y[yi] = uint8(x * y)
		}
	}
	// Paletted and Gray16 against values worked out by hand, not by grayOnWhite
	// (which ToGray uses for them): the palette's white, black, Rec. 601 luma of
	// (200, 30, 60) = (19595*200 + 38470*30 + 7471*60 + 32768) >> 16 = 84, and a
	// fully transparent colour on white paper; a Gray16 sample's high byte.
	palGray := [4]uint8{255, 0, 84, 255}
	for _, c := range []struct {
		img  image.Image
		want func(x, y int) uint8
	}{
		{pal, func(x, y int) uint8 { return palGray[(x+y)%4] }},
		{g16, func(x, y int) uint8 { return uint8(uint16(x*y*97) >> 8) }},
	} {
		g := ToGray(c.img)
		if g.Bounds() != r {
			t.Errorf("%T: bounds %v, want %v", c.img, g.Bounds(), r)
			continue
		}
		n := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if got, want := g.GrayAt(x, y).Y, c.want(x, y); got != want {
					t.Fatalf("%T at (%d,%d): gray %d, want %d", c.img, x, y, got, want)
				}
				n++
			}
		}
		if n != r.Dx()*r.Dy() {
			t.Fatalf("%T: %d pixels checked", c.img, n)
		}
	}
	for _, img := range []image.Image{nrgba, rgba, ycc, nrgba.SubImage(image.Rect(10, 10, 20, 20))} {
		g := ToGray(img)
		if g.Bounds() != img.Bounds() {
			t.Errorf("%T: bounds %v, want %v", img, g.Bounds(), img.Bounds())
			continue
		}
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				want := int(grayOnWhite(img.At(x, y)))
				if yc, ok := img.(*image.YCbCr); ok {
					want = int(yc.Y[yc.YOffset(x, y)])
				}
				if got := int(g.GrayAt(x, y).Y); got < want-1 || got > want+1 {
					t.Fatalf("%T at (%d,%d): gray %d, want %d", img, x, y, got, want)
				}
			}
		}
	}
	gray := image.NewGray(r)
	if ToGray(gray) != gray {
		t.Error("ToGray(*image.Gray) copied")
	}
}

func TestHalve(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 5, 3))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 10)
	}
	h := halve(g)
	if h.Bounds() != image.Rect(0, 0, 2, 1) {
		t.Fatalf("bounds %v", h.Bounds())
	}
	// (0+10+50+60)/4 = 30, (20+30+70+80)/4 = 50
	if h.Pix[0] != 30 || h.Pix[1] != 50 {
		t.Errorf("pixels %v, want [30 50]", h.Pix)
	}
}

// TestOrientationSparsePage checks that a page with text in its top part only, turned, is
// decided from windows with text, without classifying the whole page.
func TestOrientationSparsePage(t *testing.T) {
	samples, images := loadSamples(t)
	e := newTestEngine(t)
	ctx := context.Background()
	for _, s := range samples {
		up := cloneGray(rotateGray(restoreOrientation(images[s.Name], s.RotationDeg), -s.SkewDeg))
		b := up.Bounds()
		// Keep the top quarter (heading and first lines); the rest becomes paper.
		draw.Draw(up, image.Rect(b.Min.X, b.Min.Y+b.Dy()/4, b.Max.X, b.Max.Y), image.NewUniform(color.Gray{0xff}), image.Point{}, draw.Src)
		for _, deg := range []int{0, 90, 180} {
			before := e.osd.pixels
			o, err := e.DetectOrientation(ctx, turn(up, deg))
			if err != nil {
				t.Fatal(err)
			}
			px := e.osd.pixels - before
			t.Logf("%s turned %d°: %d° (confidence %.1f), %.0f%% of the page classified", s.Name, deg, o.Degrees, o.Confidence, 100*float64(px)/float64(b.Dx()*b.Dy()))
			if o.Degrees != deg {
				t.Errorf("%s turned %d°: orientation %d° (confidence %.2f)", s.Name, deg, o.Degrees, o.Confidence)
			}
			if px >= int64(b.Dx()*b.Dy())/2 {
				t.Errorf("%s turned %d°: %d pixels classified, the whole page of %d looked at", s.Name, deg, px, b.Dx()*b.Dy())
			}
		}
	}
}

// TestRecognitionScale checks which pages are reduced for Tesseract, and by how much.
func TestRecognitionScale(t *testing.T) {
	for _, tt := range []struct {
		target, dpi, want float64
	}{
		{0, 300, 1},
		{200, 300, 200 / 300.0},
		{200, 0, 1},
		{200, 200, 1},
		{200, 1.04 * 200, 1},
		{250, 300, 250 / 300.0},
		{250, 600, 250 / 600.0},
		{-1, 600, 1},
	} {
		if got := (Options{RecognitionDPI: tt.target}).recognitionScale(tt.dpi); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("RecognitionDPI %v, page %v dpi: scale %v, want %v", tt.target, tt.dpi, got, tt.want)
		}
	}
}

// TestRecognizeAtBoxes checks that the words of a 300-dpi page read at the recognition
// resolution have their boxes in the page's own coordinates: on the words read alike, they
// cover the boxes found at 300 dpi.
func TestRecognizeAtBoxes(t *testing.T) {
	samples, images := loadSamples(t)
	var s sample
	for _, c := range samples {
		if c.DPI == 300 {
			s = c
			break
		}
	}
	if s.DPI != 300 {
		t.Fatal("no 300-dpi sample")
	}
	straight := rotateGray(restoreOrientation(images[s.Name], s.RotationDeg), -s.SkewDeg)
	const dpi = 200
	e, err := NewEngine(Options{RecognitionDPI: dpi})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	full, err := e.Recognize(ctx, straight)
	if err != nil {
		t.Fatal(err)
	}
	reduced, err := e.RecognizeAt(ctx, straight, 300)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, reduced, straight.Bounds())
	at := map[string][]image.Rectangle{}
	for _, w := range full.Words {
		at[w.Text] = append(at[w.Text], w.Box)
	}
	var matched, aligned int
	for _, w := range reduced.Words {
		best := 0.0
		for _, b := range at[w.Text] {
			best = max(best, iou(w.Box, b))
		}
		if len(at[w.Text]) > 0 {
			matched++
			if best >= 0.7 {
				aligned++
			}
		}
	}
	t.Logf("%s: %d words at 300 dpi, %d at %d dpi; %d read alike, %d of them with IoU >= 0.7", s.Name, len(full.Words), len(reduced.Words), dpi, matched, aligned)
	if matched < len(full.Words)*9/10 || aligned < matched*95/100 {
		t.Errorf("%d of %d words read alike, %d of them aligned (want 90%% and 95%%)", matched, len(full.Words), aligned)
	}
}

// iou is the intersection over union of two boxes.
func iou(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	i := float64(in.Dx() * in.Dy())
	u := float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - i
	if u <= 0 {
		return 0
	}
	return i / u
}
