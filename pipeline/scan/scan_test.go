package scan

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	samplesDir  = "../../testdata/samples"
	fixturesDir = "../../testdata/scan"
)

// truthPage is one entry of testdata/samples/truth.json.
type truthPage struct {
	DPI   float64 `json:"dpi"`
	Color bool    `json:"color"`
	File  string  `json:"file"`
}

func readTruth(t testing.TB) map[string]truthPage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]truthPage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != 4 {
		t.Fatalf("truth.json has %d pages, want 4", len(m))
	}
	return m
}

func gray(img image.Image, x, y int) uint8 {
	return color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y
}

func TestSamples(t *testing.T) {
	for name, tp := range readTruth(t) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(samplesDir, tp.File)
			infos, err := Inspect(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(infos) != 1 {
				t.Fatalf("Inspect gave %d pages, want 1", len(infos))
			}
			in := infos[0]
			if in.DPIX != tp.DPI || in.DPIY != tp.DPI {
				t.Errorf("dpi = %v x %v, want %v", in.DPIX, in.DPIY, tp.DPI)
			}
			wantFormat := map[string]Format{".jpg": JPEG, ".png": PNG, ".tif": TIFF}[filepath.Ext(tp.File)]
			if in.Format != wantFormat || in.Page != 1 {
				t.Errorf("format %q page %d, want %q page 1", in.Format, in.Page, wantFormat)
			}
			if tp.Color && in.ColorModel != "rgb" {
				t.Errorf("colour page has colour model %q", in.ColorModel)
			}
			// An A4 page: the long side is 11.69 in, the short 8.27 in.
			long, short := max(in.Width, in.Height), min(in.Width, in.Height)
			if d := float64(long)/tp.DPI - 11.69; d < -0.3 || d > 0.6 {
				t.Errorf("long side %d px at %v dpi is not A4", long, tp.DPI)
			}
			if d := float64(short)/tp.DPI - 8.27; d < -0.3 || d > 0.6 {
				t.Errorf("short side %d px at %v dpi is not A4", short, tp.DPI)
			}

			img, dinfo, err := Decode(path, 1)
			if err != nil {
				t.Fatal(err)
			}
			if dinfo != in {
				t.Errorf("Decode info %+v, Inspect info %+v", dinfo, in)
			}
			if b := img.Bounds(); b.Dx() != in.Width || b.Dy() != in.Height {
				t.Fatalf("decoded %v, header says %dx%d", b, in.Width, in.Height)
			}
			// Paper with text: mostly light, with some dark pixels.
			var sum, dark, n int
			b := img.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y += 3 {
				for x := b.Min.X; x < b.Max.X; x += 3 {
					v := int(gray(img, x, y))
					sum += v
					if v < 100 {
						dark++
					}
					n++
				}
			}
			if mean := sum / n; mean < 170 {
				t.Errorf("mean brightness %d: not a page of paper", mean)
			}
			if frac := float64(dark) / float64(n); frac < 0.005 || frac > 0.2 {
				t.Errorf("%.2f%% dark pixels: not a page of text", 100*frac)
			}

			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			img2, info2, err := DecodeBytes(data, 1)
			if err != nil {
				t.Fatal(err)
			}
			if info2 != in || img2.Bounds() != img.Bounds() {
				t.Fatalf("DecodeBytes gave %+v %v", info2, img2.Bounds())
			}
			for y := 0; y < b.Dy(); y += 97 {
				for x := 0; x < b.Dx(); x += 89 {
					if img.At(x, y) != img2.At(x, y) {
						t.Fatalf("Decode and DecodeBytes differ at (%d, %d)", x, y)
					}
				}
			}
		})
	}
}

// checkRect checks that img is white with a black rectangle r (the fixtures
// of testdata/scan/make.py).
func checkRect(t *testing.T, img image.Image, r image.Rectangle) {
	t.Helper()
	b := img.Bounds()
	bad := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if x < 4 && y < 4 {
				continue // the red corner of colour fixtures
			}
			v := gray(img, x, y)
			if in := image.Pt(x, y).In(r); in && v > 40 || !in && v < 215 {
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d pixels differ from a black rectangle %v on white", bad, r)
	}
}

func TestTIFFFixtures(t *testing.T) {
	rect := image.Rect(10, 20, 50, 40)
	tests := []struct {
		file, compression, colorModel string
		w, h                          int
		dpi                           float64
	}{
		{"g4.tif", "ccitt-g4", "bitonal", 96, 64, 300},
		{"g4-wiz.tif", "ccitt-g4", "bitonal", 96, 64, 300},
		{"g3.tif", "ccitt-g3", "bitonal", 96, 64, 300},
		{"rle.tif", "ccitt-rle", "bitonal", 96, 64, 300},
		{"packbits.tif", "packbits", "gray", 80, 60, 300},
		{"deflate.tif", "deflate", "rgb", 80, 60, 200},
		{"none.tif", "none", "gray", 80, 60, 600},
		{"cm.tif", "none", "gray", 80, 60, 300}, // 118.11 px/cm
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(fixturesDir, tt.file)
			infos, err := Inspect(path)
			if err != nil {
				t.Fatal(err)
			}
			want := Info{Format: TIFF, Page: 1, Width: tt.w, Height: tt.h, DPIX: tt.dpi, DPIY: tt.dpi,
				Compression: tt.compression, ColorModel: tt.colorModel, Depth: 8}
			if tt.colorModel == "bitonal" {
				want.Depth = 1
			}
			if len(infos) != 1 || infos[0] != want {
				t.Fatalf("Inspect = %+v, want [%+v]", infos, want)
			}
			img, info, err := Decode(path, 1)
			if err != nil {
				t.Fatal(err)
			}
			if info != want {
				t.Errorf("Decode info = %+v, want %+v", info, want)
			}
			if tt.colorModel == "rgb" {
				if _, ok := img.(*image.RGBA); !ok {
					t.Errorf("colour page decoded as %T", img)
				}
				if r, g, b, _ := img.At(1, 1).RGBA(); r>>8 < 200 || g>>8 > 50 || b>>8 > 50 {
					t.Errorf("red corner decoded as %v", img.At(1, 1))
				}
			} else if _, ok := img.(*image.Gray); !ok {
				t.Errorf("gray page decoded as %T", img)
			}
			checkRect(t, img, rect)
		})
	}
}

func TestMultiPageTIFF(t *testing.T) {
	path := filepath.Join(fixturesDir, "multi3.tif")
	infos, err := Inspect(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		w, h  int
		rect  image.Rectangle
		model string
	}{
		{40, 30, image.Rect(5, 5, 15, 15), "gray"},
		{50, 60, image.Rect(10, 20, 30, 40), "gray"},
		{70, 20, image.Rect(60, 2, 66, 8), "rgb"},
	}
	if len(infos) != len(want) {
		t.Fatalf("Inspect gave %d pages, want %d", len(infos), len(want))
	}
	for i, w := range want {
		in := infos[i]
		if in.Page != i+1 || in.Width != w.w || in.Height != w.h || in.ColorModel != w.model ||
			in.Compression != "lzw" || in.DPIX != 300 || in.DPIY != 300 {
			t.Errorf("page %d: %+v", i+1, in)
		}
		img, info, err := Decode(path, i+1)
		if err != nil {
			t.Fatal(err)
		}
		if info != in {
			t.Errorf("page %d: Decode info %+v, Inspect %+v", i+1, info, in)
		}
		if img.Bounds() != image.Rect(0, 0, w.w, w.h) {
			t.Errorf("page %d decoded %v", i+1, img.Bounds())
		}
		checkRect(t, img, w.rect)
	}
	for _, page := range []int{0, 4, -1} {
		_, _, err := Decode(path, page)
		if !errors.Is(err, ErrNoPage) {
			t.Errorf("page %d: err = %v, want ErrNoPage", page, err)
		}
	}
	_, _, err = Decode(path, 4)
	if got := err.Error(); got != "scan: multi3.tif page 4: no such page: the file has 3 pages" {
		t.Errorf("error message %q", got)
	}
}

// tpage is a page for buildTIFF: an 8-bit gray image, uncompressed.
type tpage struct {
	img     *image.Gray
	res     [4]uint32 // X numerator, denominator, Y numerator, denominator; zero: none
	unit    uint16    // 0: no ResolutionUnit tag
	subfile uint32    // NewSubfileType
	w, h    uint32    // size written in the header, when not 0
}

// byteOrder is binary.BigEndian or binary.LittleEndian.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// buildTIFF writes a classic TIFF in the given byte order.
func buildTIFF(bo byteOrder, pages ...tpage) []byte {
	var b []byte
	if bo == byteOrder(binary.BigEndian) {
		b = append(b, "MM\x00\x2a"...)
	} else {
		b = append(b, "II\x2a\x00"...)
	}
	b = append(b, 0, 0, 0, 0)
	next := 4 // where to write the offset of the next directory
	for _, p := range pages {
		size := p.img.Bounds().Size()
		w, h := uint32(size.X), uint32(size.Y)
		if p.w != 0 {
			w, h = p.w, p.h
		}
		dataOff := len(b)
		b = append(b, p.img.Pix...)
		if len(b)%2 == 1 {
			b = append(b, 0)
		}
		type entry struct {
			tag, typ uint16
			count    uint32
			val      uint32
		}
		var es []entry
		if p.subfile != 0 {
			es = append(es, entry{254, typeLong, 1, p.subfile})
		}
		es = append(es,
			entry{256, typeLong, 1, w}, entry{257, typeLong, 1, h},
			entry{258, typeShort, 1, 8}, entry{259, typeShort, 1, 1},
			entry{262, typeShort, 1, 1}, entry{273, typeLong, 1, uint32(dataOff)},
			entry{277, typeShort, 1, 1}, entry{278, typeLong, 1, h},
			entry{279, typeLong, 1, uint32(len(p.img.Pix))})
		ifdOff := len(b)
		n := len(es)
		if p.res[1] != 0 {
			n += 2
		}
		if p.unit != 0 {
			n++
		}
		ratOff := uint32(ifdOff + 2 + 12*n + 4)
		if p.res[1] != 0 {
			es = append(es, entry{282, typeRational, 1, ratOff}, entry{283, typeRational, 1, ratOff + 8})
		}
		if p.unit != 0 {
			es = append(es, entry{296, typeShort, 1, uint32(p.unit)})
		}
		bo.PutUint32(b[next:], uint32(ifdOff))
		b = bo.AppendUint16(b, uint16(len(es)))
		for _, e := range es {
			b = bo.AppendUint16(b, e.tag)
			b = bo.AppendUint16(b, e.typ)
			b = bo.AppendUint32(b, e.count)
			if e.typ == typeShort {
				b = bo.AppendUint16(b, uint16(e.val))
				b = append(b, 0, 0)
			} else {
				b = bo.AppendUint32(b, e.val)
			}
		}
		next = len(b)
		b = append(b, 0, 0, 0, 0)
		for len(b) < int(ratOff) {
			b = append(b, 0)
		}
		if p.res[1] != 0 {
			for _, v := range p.res {
				b = bo.AppendUint32(b, v)
			}
		}
	}
	return b
}

// rectImage is a white w×h gray image with a black rectangle r.
func rectImage(w, h int, r image.Rectangle) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			g.SetGray(x, y, color.Gray{})
		}
	}
	return g
}

func TestBuiltTIFF(t *testing.T) {
	r := image.Rect(3, 4, 9, 12)
	img := rectImage(16, 20, r)
	for _, bo := range []byteOrder{binary.BigEndian, binary.LittleEndian} {
		t.Run(bo.String(), func(t *testing.T) {
			data := buildTIFF(bo,
				tpage{img: img, res: [4]uint32{15748, 100, 7874, 100}, unit: 3}, // 400 x 200 dpi in cm
				tpage{img: rectImage(4, 4, image.Rectangle{}), subfile: 1},      // a thumbnail: not a page
				tpage{img: img, res: [4]uint32{150, 1, 150, 1}},                 // no unit tag: inch
				tpage{img: img, res: [4]uint32{300, 1, 300, 1}, unit: 1},        // no absolute unit
			)
			wantDPI := [][2]float64{{400, 200}, {150, 150}, {0, 0}}
			for i, want := range wantDPI {
				m, info, err := DecodeBytes(data, i+1)
				if err != nil {
					t.Fatal(err)
				}
				if info.DPIX != want[0] || info.DPIY != want[1] || info.Width != 16 || info.Height != 20 ||
					info.Compression != "none" || info.ColorModel != "gray" || info.Page != i+1 {
					t.Errorf("page %d: %+v, want dpi %v", i+1, info, want)
				}
				checkRect(t, m, r)
			}
			if _, _, err := DecodeBytes(data, 4); !errors.Is(err, ErrNoPage) {
				t.Errorf("page 4 of 3: %v", err)
			}
		})
	}
}

func TestBadTIFF(t *testing.T) {
	img := rectImage(8, 8, image.Rect(1, 1, 3, 3))
	good := buildTIFF(binary.LittleEndian, tpage{img: img}, tpage{img: img})

	bigTIFF := append([]byte("II\x2b\x00\x08\x00\x00\x00"), make([]byte, 16)...)
	huge := buildTIFF(binary.LittleEndian, tpage{img: img, w: 40000, h: 40000})
	tooMany := buildTIFF(binary.BigEndian, tpage{img: img, w: 25000, h: 25000}) // 625 megapixels
	loop := bytes.Clone(good)
	// Point the second directory back to the first.
	first := binary.LittleEndian.Uint32(loop[4:])
	n := uint32(binary.LittleEndian.Uint16(loop[first:]))
	second := binary.LittleEndian.Uint32(loop[first+2+12*n:])
	binary.LittleEndian.PutUint32(loop[second+2+12*n:], first)
	noStrips := bytes.Clone(good)
	// Turn the StripOffsets tag (6th entry of the first directory) into tag 272.
	binary.LittleEndian.PutUint16(noStrips[first+2+12*5:], 272)

	tests := []struct {
		name    string
		data    []byte
		page    int
		want    error
		message string
	}{
		{"bigtiff", bigTIFF, 1, ErrUnsupported, "scan: page 1: BigTIFF (64-bit TIFF) is unsupported: save the scans as classic TIFF"},
		{"huge", huge, 1, ErrTooLarge, "scan: page 1: image too large: 40000x40000 pixels (the limit is 30000 a side and 400 megapixels)"},
		{"megapixels", tooMany, 1, ErrTooLarge, ""},
		{"loop", loop, 3, ErrCorrupt, "scan: page 3: corrupt TIFF: the chain of image directories loops back to offset 72"},
		{"no strips", noStrips, 1, ErrCorrupt, "scan: page 1: corrupt TIFF: the image directory has no strip offsets"},
		{"truncated", good[:len(good)-20], 2, ErrTruncated, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := DecodeBytes(tt.data, tt.page)
			var pe *PageError
			if !errors.Is(err, tt.want) || !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *PageError wrapping %v", err, tt.want)
			}
			if tt.message != "" && err.Error() != tt.message {
				t.Errorf("message %q\n       want %q", err.Error(), tt.message)
			}
			path := filepath.Join(t.TempDir(), "x.tif")
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := Inspect(path); !errors.Is(err, tt.want) || !strings.HasPrefix(err.Error(), "scan: x.tif") {
				t.Errorf("Inspect: %v", err)
			}
		})
	}
	// The loop and the truncation are after page 1, which still decodes on its own.
	for _, data := range [][]byte{loop, good[:len(good)-20]} {
		if _, _, err := DecodeBytes(data, 1); err != nil {
			t.Errorf("page 1 before the damage: %v", err)
		}
	}
}

// TestShortStrip halves the byte count of the LZW strip of a page, as a
// scanner writing a short strip would: the file is whole but the data ends
// early.
func TestShortStrip(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(fixturesDir, "multi3.tif"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := openTIFF(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.readIFD(f.first)
	if err != nil {
		t.Fatal(err)
	}
	d, err = f.readIFD(d.next) // page 2
	if err != nil {
		t.Fatal(err)
	}
	n := int64(binary.LittleEndian.Uint16(data[d.offset:]))
	for i := range n {
		e := data[d.offset+2+12*i:]
		if binary.LittleEndian.Uint16(e) == tagStripByteCounts {
			binary.LittleEndian.PutUint32(e[8:], binary.LittleEndian.Uint32(e[8:])/2)
		}
	}
	if _, _, err := DecodeBytes(data, 1); err != nil {
		t.Errorf("page 1: %v", err)
	}
	_, _, err = DecodeBytes(data, 2)
	if !errors.Is(err, ErrTruncated) || err.Error() != "scan: page 2: truncated LZW data" {
		t.Errorf("err = %v, want truncated LZW data", err)
	}
}

// withSegment inserts a JPEG marker segment right after SOI.
func withSegment(jpg []byte, marker byte, payload []byte) []byte {
	seg := []byte{0xff, marker, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	seg = append(seg, payload...)
	return append(append(append([]byte{}, jpg[:2]...), seg...), jpg[2:]...)
}

func jfif(units byte, x, y uint16) []byte {
	p := []byte("JFIF\x00\x01\x02")
	p = append(p, units)
	p = binary.BigEndian.AppendUint16(p, x)
	p = binary.BigEndian.AppendUint16(p, y)
	return append(p, 0, 0)
}

func exif(xres uint32, unit uint16) []byte {
	t := buildTIFF(binary.BigEndian, tpage{img: image.NewGray(image.Rect(0, 0, 1, 1)), res: [4]uint32{xres, 1, xres, 1}, unit: unit})
	return append([]byte("Exif\x00\x00"), t...)
}

func TestJPEG(t *testing.T) {
	r := image.Rect(10, 20, 50, 40)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, rectImage(80, 60, r), &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	plain := bytes.Clone(buf.Bytes())
	buf.Reset()
	rgb := image.NewRGBA(image.Rect(0, 0, 30, 20))
	if err := jpeg.Encode(&buf, rgb, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		dpi  [2]float64
	}{
		{"no density", plain, [2]float64{0, 0}},
		{"jfif dpi", withSegment(plain, 0xe0, jfif(1, 300, 150)), [2]float64{300, 150}},
		{"jfif cm", withSegment(plain, 0xe0, jfif(2, 118, 118)), [2]float64{299.72, 299.72}},
		{"jfif aspect", withSegment(plain, 0xe0, jfif(0, 1, 1)), [2]float64{0, 0}},
		{"exif", withSegment(plain, 0xe1, exif(400, 2)), [2]float64{400, 400}},
		{"exif under jfif aspect", withSegment(withSegment(plain, 0xe1, exif(600, 2)), 0xe0, jfif(0, 1, 1)), [2]float64{600, 600}},
		{"jfif over exif", withSegment(withSegment(plain, 0xe1, exif(600, 2)), 0xe0, jfif(1, 300, 300)), [2]float64{300, 300}},
		{"exif cm", withSegment(plain, 0xe1, exif(100, 3)), [2]float64{254, 254}},
		{"broken exif", withSegment(plain, 0xe1, []byte("Exif\x00\x00MM\x00\x2a\xff\xff\xff\xff")), [2]float64{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, info, err := DecodeBytes(tt.data, 1)
			if err != nil {
				t.Fatal(err)
			}
			want := Info{Format: JPEG, Page: 1, Width: 80, Height: 60, DPIX: tt.dpi[0], DPIY: tt.dpi[1], Compression: "jpeg", ColorModel: "gray", Depth: 8}
			if info != want {
				t.Errorf("info %+v, want %+v", info, want)
			}
			checkRect(t, img, r)
		})
	}
	_, info, err := DecodeBytes(buf.Bytes(), 1)
	if err != nil || info.ColorModel != "rgb" || info.Width != 30 || info.Height != 20 {
		t.Errorf("colour JPEG: %+v, %v", info, err)
	}
	if _, _, err := DecodeBytes(plain, 2); !errors.Is(err, ErrNoPage) {
		t.Errorf("page 2 of a JPEG: %v", err)
	}
}

// withPHYs inserts a pHYs chunk after IHDR.
func withPHYs(p []byte, x, y uint32, unit byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, 9)
	c = append(c, "pHYs"...)
	c = binary.BigEndian.AppendUint32(c, x)
	c = binary.BigEndian.AppendUint32(c, y)
	c = append(c, unit)
	c = binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
	const afterIHDR = 8 + 25
	return append(append(append([]byte{}, p[:afterIHDR]...), c...), p[afterIHDR:]...)
}

func TestPNG(t *testing.T) {
	r := image.Rect(10, 20, 50, 40)
	var buf bytes.Buffer
	if err := png.Encode(&buf, rectImage(80, 60, r)); err != nil {
		t.Fatal(err)
	}
	plain := buf.Bytes()
	tests := []struct {
		name string
		data []byte
		dpi  [2]float64
	}{
		{"no pHYs", plain, [2]float64{0, 0}},
		{"300 dpi", withPHYs(plain, 11811, 11811, 1), [2]float64{300, 300}},
		{"600x300 dpi", withPHYs(plain, 23622, 11811, 1), [2]float64{600, 300}},
		{"aspect only", withPHYs(plain, 1, 1, 0), [2]float64{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, info, err := DecodeBytes(tt.data, 1)
			if err != nil {
				t.Fatal(err)
			}
			want := Info{Format: PNG, Page: 1, Width: 80, Height: 60, DPIX: tt.dpi[0], DPIY: tt.dpi[1], Compression: "png", ColorModel: "gray", Depth: 8}
			if info != want {
				t.Errorf("info %+v, want %+v", info, want)
			}
			checkRect(t, img, r)
		})
	}
}

func TestNotImage(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"notes.tif":  []byte("Biên bản giao nhận hồ sơ\n"),
		"empty.png":  nil,
		"short.jpg":  []byte("\xff\xd8"),
		"html.jpeg":  []byte("<html><body>404</body></html>"),
		"tiny.tiff":  []byte("II"),
		"pdf.tif":    []byte("%PDF-1.7\n"),
		"odd.tif":    []byte("II\x15\x00\x08\x00\x00\x00"),
		"garble.png": []byte("\x89PNG\r\n\x1a\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Inspect(path)
		var pe *PageError
		if !errors.As(err, &pe) || pe.File != path {
			t.Errorf("%s: Inspect err = %v, want a *PageError naming the file", name, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), "scan: "+name+": ") {
			t.Errorf("%s: message %q", name, err)
		}
		if _, _, err := Decode(path, 1); err == nil {
			t.Errorf("%s: Decode succeeded", name)
		}
	}
	if _, err := Inspect(filepath.Join(dir, "missing.tif")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	_, err := Inspect(filepath.Join(dir, "notes.tif"))
	if !errors.Is(err, ErrNotImage) || err.Error() != "scan: notes.tif: not a TIFF, JPEG or PNG image" {
		t.Errorf("text file: %v", err)
	}
}

// smallFiles are small valid files of every format for the robustness tests.
func smallFiles(t testing.TB) map[string][]byte {
	t.Helper()
	files := make(map[string][]byte)
	paths, err := filepath.Glob(filepath.Join(fixturesDir, "*.tif"))
	if err != nil || len(paths) < 6 {
		t.Fatalf("fixtures: %v %v", paths, err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(p)] = b
	}
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, nil)
	files["x.jpg"] = withSegment(b.Bytes(), 0xe0, jfif(1, 300, 300))
	b = bytes.Buffer{}
	png.Encode(&b, img)
	files["x.png"] = withPHYs(b.Bytes(), 11811, 11811, 1)
	files["built.tif"] = buildTIFF(binary.BigEndian, tpage{img: rectImage(20, 10, image.Rect(1, 1, 5, 5)), res: [4]uint32{300, 1, 300, 1}})
	return files
}

func sameImage(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				return false
			}
		}
	}
	return true
}

// TestTruncated cuts every small file at every length: each prefix must give
// an error (never a panic), or the same image when only padding was cut.
func TestTruncated(t *testing.T) {
	for name, data := range smallFiles(t) {
		// Decode the last page: a multi-page file cut after page 1 still has a good page 1.
		last := 1
		for ; ; last++ {
			if _, _, err := DecodeBytes(data, last+1); err != nil {
				if !errors.Is(err, ErrNoPage) {
					t.Fatalf("%s: %v", name, err)
				}
				break
			}
		}
		full, _, err := DecodeBytes(data, last)
		if err != nil {
			t.Fatalf("%s page %d: %v", name, last, err)
		}
		for n := range len(data) {
			img, _, err := DecodeBytes(data[:n], last)
			if err == nil {
				// Only padding was cut.
				if !sameImage(img, full) {
					t.Errorf("%s cut to %d of %d bytes decodes to a different image", name, n, len(data))
				}
				continue
			}
			if !errors.As(err, new(*PageError)) {
				t.Errorf("%s cut to %d bytes: error %T %v", name, n, err, err)
			}
		}
	}
}

// TestTruncatedSamples cuts the real scans in half.
func TestTruncatedSamples(t *testing.T) {
	for _, tp := range readTruth(t) {
		data, err := os.ReadFile(filepath.Join(samplesDir, tp.File))
		if err != nil {
			t.Fatal(err)
		}
		half := data[:len(data)/2]
		_, _, err = DecodeBytes(half, 1)
		if !errors.Is(err, ErrTruncated) {
			t.Errorf("%s cut in half: err = %v, want ErrTruncated", tp.File, err)
		} else {
			t.Logf("%s cut in half: %v", tp.File, err)
		}
	}
}

// TestCorrupt flips random bytes in small files: decoding must return an
// error or an image of the announced size, never panic.
func TestCorrupt(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	runs := 3000
	if testing.Short() {
		runs = 300
	}
	files := smallFiles(t)
	var fails int
	for name, data := range files {
		for range runs / len(files) {
			d := bytes.Clone(data)
			for range 1 + rng.IntN(4) {
				d[rng.IntN(len(d))] = byte(rng.IntN(256))
			}
			img, info, err := DecodeBytes(d, 1)
			if err != nil {
				fails++
				if !errors.As(err, new(*PageError)) {
					t.Fatalf("%s: error %T %v", name, err, err)
				}
				continue
			}
			if img.Bounds().Dx() != info.Width || img.Bounds().Dy() != info.Height {
				t.Fatalf("%s: image %v, info %+v", name, img.Bounds(), info)
			}
		}
	}
	t.Logf("%d of %d corrupted files failed to decode", fails, runs)
}

func TestIsImageFile(t *testing.T) {
	for name, want := range map[string]bool{
		"a.tif": true, "a.TIFF": true, "dir/b.Jpg": true, "c.jpeg": true, "d.PNG": true,
		"e.pdf": false, "tif": false, "f.tif.txt": false, "g.gif": false, "": false, ".png": true,
	} {
		if got := IsImageFile(name); got != want {
			t.Errorf("IsImageFile(%q) = %v", name, got)
		}
	}
}

func TestPageErrorMessage(t *testing.T) {
	tests := []struct {
		e    PageError
		want string
	}{
		{PageError{"/a/b/tt-so-hoa-p01.tif", 2, errors.New("truncated LZW data")}, "scan: tt-so-hoa-p01.tif page 2: truncated LZW data"},
		{PageError{"x.png", 0, ErrNotImage}, "scan: x.png: not a TIFF, JPEG or PNG image"},
		{PageError{"", 3, ErrNoPage}, "scan: page 3: no such page"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func FuzzDecodeBytes(f *testing.F) {
	for _, data := range smallFiles(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, info, err := DecodeBytes(data, 1)
		if err == nil && (img.Bounds().Dx() != info.Width || img.Bounds().Dy() != info.Height) {
			t.Fatalf("image %v, info %+v", img.Bounds(), info)
		}
	})
}

func benchmarkDecode(b *testing.B, file string) {
	data, err := os.ReadFile(filepath.Join(samplesDir, file))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := DecodeBytes(data, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeTIFF(b *testing.B) { benchmarkDecode(b, "tt-so-hoa-p01.tif") }
func BenchmarkDecodeJPEG(b *testing.B) { benchmarkDecode(b, "qd-chinh-ly-p01.jpg") }
func BenchmarkDecodePNG(b *testing.B)  { benchmarkDecode(b, "cv-giao-nop-p01.png") }

func BenchmarkInspect(b *testing.B) {
	path := filepath.Join(samplesDir, "tt-so-hoa-p01.tif")
	for b.Loop() {
		if _, err := Inspect(path); err != nil {
			b.Fatal(err)
		}
	}
}
