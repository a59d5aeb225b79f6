package turbojpeg

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// page returns a w x h colour image that looks like a scanned page: tinted paper with noise and
// dark strokes, and a red stamp.
func page(w, h int) *image.RGBA {
	r := rand.New(rand.NewPCG(1, 2))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			n := uint8(r.IntN(16))
			c := color.RGBA{240 - n, 232 - n, 210 - n, 255}
			if (y/6)%3 == 0 && (x/3)%4 != 0 && x > w/10 && x < w*9/10 {
				c = color.RGBA{30 + n, 30 + n, 45 + n, 255}
			}
			if dx, dy := x-w*3/4, y-h*3/4; dx*dx+dy*dy < w*w/64 && (dx*dx+dy*dy)%97 < 40 {
				c = color.RGBA{200, 40 + n, 40, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// grayOf returns the luminance of img as an *image.Gray.
func grayOf(img image.Image) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g.Set(x, y, img.At(x, y))
		}
	}
	return g
}

// psnr is the PSNR in dB of b against a (same size, origin of each at its Bounds().Min), on
// 8-bit RGB.
func psnr(a, b image.Image) float64 {
	ab, bb := a.Bounds(), b.Bounds()
	var se float64
	for y := range ab.Dy() {
		for x := range ab.Dx() {
			r1, g1, b1, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			for _, d := range []float64{float64(r1>>8) - float64(r2>>8), float64(g1>>8) - float64(g2>>8), float64(b1>>8) - float64(b2>>8)} {
				se += d * d
			}
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(3*ab.Dx()*ab.Dy())))
}

// sof returns the start-of-frame marker of a JPEG written by Encode (0xC0 baseline, 0xC2
// progressive) and its component count.
func sof(t *testing.T, data []byte) (marker byte, components int) {
	t.Helper()
	for i := 2; i+9 < len(data); {
		if data[i] != 0xFF {
			t.Fatalf("bad marker at %d", i)
		}
		m, n := data[i+1], int(data[i+2])<<8|int(data[i+3])
		if m >= 0xC0 && m <= 0xC2 {
			return m, int(data[i+9])
		}
		i += 2 + n
	}
	t.Fatal("no start-of-frame")
	return 0, 0
}

func TestEncodeDecode(t *testing.T) {
	rgba := page(300, 200)
	sub := rgba.SubImage(image.Rect(17, 9, 217, 109)).(*image.RGBA) // origin not at 0,0, stride wider than the rows
	nrgba := &image.NRGBA{Pix: rgba.Pix, Stride: rgba.Stride, Rect: rgba.Rect}
	ycc := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420) // gray content
	for i := range ycc.Y {
		ycc.Y[i] = uint8(i)
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = 128, 128
	}
	gray := grayOf(sub)
	for _, c := range []struct {
		name string
		img  image.Image
		gray bool
	}{
		{"rgba", rgba, false},
		{"subimage", sub, false},
		{"nrgba", nrgba, false},
		{"ycbcr gray content stays colour", ycc, false},
		{"gray", gray, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			// 4:4:4, so that chroma upsampling (smooth in libjpeg, nearest in image/jpeg) plays no part.
			base, err := Encode(c.img, Options{Quality: 95, Subsampling: S444})
			if err != nil {
				t.Fatal(err)
			}
			prog, err := Encode(c.img, Options{Quality: 95, Subsampling: S444, Progressive: true})
			if err != nil {
				t.Fatal(err)
			}
			opt, err := Encode(c.img, Options{Quality: 95, Subsampling: S444, Optimize: true})
			if err != nil {
				t.Fatal(err)
			}
			want := 3
			if c.gray {
				want = 1
			}
			if m, n := sof(t, base); m != 0xC0 || n != want {
				t.Errorf("baseline: SOF %#x with %d components, want 0xc0 with %d", m, n, want)
			}
			if m, n := sof(t, prog); m != 0xC2 || n != want {
				t.Errorf("progressive: SOF %#x with %d components, want 0xc2 with %d", m, n, want)
			}
			if m, n := sof(t, opt); m != 0xC0 || n != want {
				t.Errorf("optimized: SOF %#x with %d components, want 0xc0 with %d", m, n, want)
			}
			a, err := Decode(base)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Decode(prog)
			if err != nil {
				t.Fatal(err)
			}
			if _, isGray := a.(*image.Gray); isGray != c.gray {
				t.Errorf("decoded %T", a)
			}
			if a.Bounds().Size() != c.img.Bounds().Size() {
				t.Fatalf("decoded %v, encoded %v", a.Bounds(), c.img.Bounds())
			}
			// Progressive coding changes the bytes, not the pixels.
			if v := psnr(a, p); !math.IsInf(v, 1) {
				t.Errorf("baseline and progressive decode differently (%.1f dB)", v)
			}
			o, err := Decode(opt)
			if err != nil {
				t.Fatal(err)
			}
			// So do optimal tables.
			if v := psnr(a, o); !math.IsInf(v, 1) || len(opt) >= len(base) {
				t.Errorf("optimized: %d bytes, baseline %d, decoded %.1f dB apart", len(opt), len(base), v)
			}
			if v := psnr(c.img, a); v < 35 {
				t.Errorf("quality 95 gives %.1f dB", v)
			}
			// Go's decoder reads the same file to nearly the same pixels (its IDCT differs a little).
			g, err := jpeg.Decode(bytes.NewReader(prog))
			if err != nil {
				t.Fatal(err)
			}
			if v := psnr(a, g); v < 40 {
				t.Errorf("image/jpeg decodes to %.1f dB of turbojpeg's", v)
			}
		})
	}
}

// TestSmallerThanImageJPEG checks the point of the package: at the same quality and
// subsampling (so the same quantisation), progressive coding with optimal Huffman tables is
// smaller than image/jpeg's baseline with the standard tables, and libjpeg-turbo's own
// baseline (standard tables) is not.
func TestSmallerThanImageJPEG(t *testing.T) {
	img := page(600, 400)
	var std bytes.Buffer
	if err := jpeg.Encode(&std, img, &jpeg.Options{Quality: 70}); err != nil {
		t.Fatal(err)
	}
	base, err := Encode(img, Options{Quality: 70})
	if err != nil {
		t.Fatal(err)
	}
	prog, err := Encode(img, Options{Quality: 70, Progressive: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("quality 70 4:2:0: image/jpeg %d bytes, turbojpeg baseline %d, progressive %d", std.Len(), len(base), len(prog))
	if float64(len(prog)) > 0.97*float64(std.Len()) {
		t.Errorf("progressive %d bytes, image/jpeg %d: less than 3%% saved", len(prog), std.Len())
	}
	if float64(len(base)) < 0.97*float64(std.Len()) {
		t.Errorf("baseline %d bytes, image/jpeg %d: standard tables should cost about the same", len(base), std.Len())
	}
	s444, err := Encode(img, Options{Quality: 70, Subsampling: S444, Progressive: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(s444) <= len(prog) {
		t.Errorf("4:4:4 %d bytes, 4:2:0 %d: subsampling ignored", len(s444), len(prog))
	}
	for _, sub := range []Subsampling{S420, S422, S444} {
		base, err := Encode(img, Options{Quality: 70, Subsampling: sub})
		if err != nil {
			t.Fatal(err)
		}
		opt, err := Encode(img, Options{Quality: 70, Subsampling: sub, Optimize: true})
		if err != nil {
			t.Fatal(err)
		}
		a, err := Decode(base)
		if err != nil {
			t.Fatal(err)
		}
		o, err := Decode(opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%v: baseline %d bytes, optimal tables %d", sub, len(base), len(opt))
		if float64(len(opt)) > 0.97*float64(len(base)) || !math.IsInf(psnr(a, o), 1) {
			t.Errorf("%v: optimal tables %d bytes, baseline %d, decoded %.1f dB apart: want 3%% saved, the same pixels", sub, len(opt), len(base), psnr(a, o))
		}
	}
	q30, err := Encode(img, Options{Quality: 30, Progressive: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(q30) >= len(prog) {
		t.Errorf("quality 30 %d bytes, 70 %d: quality ignored", len(q30), len(prog))
	}
}

func TestRejects(t *testing.T) {
	img := page(40, 30)
	for name, o := range map[string]Options{"quality 0": {}, "quality 101": {Quality: 101}, "subsampling 7": {Quality: 50, Subsampling: 7}} {
		if _, err := Encode(img, o); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := Encode(image.NewGray(image.Rect(0, 0, 0, 5)), Options{Quality: 50}); err == nil {
		t.Error("empty image accepted")
	}
	transparent := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	if _, err := Encode(transparent, Options{Quality: 50}); err == nil {
		t.Error("transparent image accepted")
	}
	data, err := Encode(img, Options{Quality: 80})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(data); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"empty":      nil,
		"not a JPEG": []byte("GIF89a......"),
		"truncated":  data[:len(data)*2/3],
		"no end":     data[:len(data)-2],
	} {
		if _, err := Decode(bad); err == nil {
			t.Errorf("%s decoded", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// TestNoLeak checks that Encode, Decode and SquaredError free what libjpeg-turbo allocates: 100
// rounds of encoding (baseline, progressive and optimal tables, colour and gray), decoding and
// comparing a 200x150 image (and a truncated one) leave the C heap where it was after 20 rounds,
// within 64 KB (a round allocates over 1 MB in libjpeg's pools; the six output buffers alone,
// if kept, would add about 30 KB a round).
func TestNoLeak(t *testing.T) {
	// One OS thread, so that every call allocates from the same malloc arena.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	img := page(200, 150)
	gray := grayOf(img)
	round := func() {
		for _, m := range []image.Image{img, gray} {
			for _, o := range []Options{{Quality: 60}, {Quality: 60, Progressive: true}, {Quality: 60, Optimize: true}} {
				data, err := Encode(m, o)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := Decode(data); err != nil {
					t.Fatal(err)
				}
				ref, gray := img.Pix, false
				if g, ok := m.(*image.Gray); ok {
					ref, gray = g.Pix, true
				}
				if _, err := SquaredError(data, ref, 200, 150, gray); err != nil {
					t.Fatal(err)
				}
				if _, err := SquaredError(data[:len(data)/2], ref, 200, 150, gray); err == nil { // the error path frees too
					t.Fatal("truncated JPEG compared")
				}
			}
		}
		if _, err := Decode([]byte{0xFF, 0xD8, 0xFF}); err == nil { // the error path frees too
			t.Fatal("truncated header decoded")
		}
	}
	const warmup, n = 20, 100
	for range warmup {
		round()
	}
	before := cHeapInUse()
	for range n {
		round()
	}
	after := cHeapInUse()
	t.Logf("C heap %d bytes after %d rounds, %d after %d more", before, warmup, after, n)
	if after-before > 64<<10 {
		t.Errorf("C heap grew by %d KB over %d rounds", (after-before)>>10, n)
	}
}

// TestSquaredError checks SquaredError against Decode and a sum over its pixels, gray and
// colour (4:2:0, so that chroma upsampling plays its part), and that it refuses a JPEG of
// another size or kind and corrupt data, as Decode does.
func TestSquaredError(t *testing.T) {
	img := page(301, 203) // not a whole number of blocks or of bands of rows
	gray := grayOf(img)
	for _, c := range []struct {
		m    image.Image
		ref  []byte
		gray bool
	}{{img, img.Pix, false}, {gray, gray.Pix, true}} {
		for _, progressive := range []bool{false, true} {
			data, err := Encode(c.m, Options{Quality: 40, Progressive: progressive})
			if err != nil {
				t.Fatal(err)
			}
			dec, err := Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			var want uint64
			if c.gray {
				for i, v := range dec.(*image.Gray).Pix {
					d := int(v) - int(c.ref[i])
					want += uint64(d * d)
				}
			} else {
				for i, v := range dec.(*image.RGBA).Pix {
					if i%4 != 3 {
						d := int(v) - int(c.ref[i])
						want += uint64(d * d)
					}
				}
			}
			got, err := SquaredError(data, c.ref, 301, 203, c.gray)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("gray %v, progressive %v: squared error %d", c.gray, progressive, got)
			if got != want || want == 0 {
				t.Errorf("gray %v, progressive %v: squared error %d, over Decode's pixels %d", c.gray, progressive, got, want)
			}
			for name, bad := range map[string]func() (uint64, error){
				"other size": func() (uint64, error) { return SquaredError(data, c.ref[:len(c.ref)-len(c.ref)/203], 301, 202, c.gray) },
				"other kind": func() (uint64, error) {
					return SquaredError(data, make([]byte, 301*203*5-len(c.ref)), 301, 203, !c.gray)
				},
				"truncated":  func() (uint64, error) { return SquaredError(data[:len(data)*2/3], c.ref, 301, 203, c.gray) },
				"not a JPEG": func() (uint64, error) { return SquaredError([]byte("GIF89a......"), c.ref, 301, 203, c.gray) },
				"short ref":  func() (uint64, error) { return SquaredError(data, c.ref[1:], 301, 203, c.gray) },
			} {
				if _, err := bad(); err == nil {
					t.Errorf("gray %v, %s: no error", c.gray, name)
				} else {
					t.Logf("gray %v, %s: %v", c.gray, name, err)
				}
			}
		}
	}
}
