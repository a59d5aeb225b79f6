package pdfa

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/image/tiff"
	"golang.org/x/text/unicode/norm"

	"github.com/sohoa-vn/sohoa/pipeline/pdfa/pdfatest"
)

const samples = "../../testdata/samples"

func loadImage(t testing.TB, name string) image.Image {
	t.Helper()
	f, err := os.Open(filepath.Join(samples, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var img image.Image
	switch {
	case strings.HasSuffix(name, ".png"):
		img, err = png.Decode(f)
	case strings.HasSuffix(name, ".tif"):
		img, err = tiff.Decode(f)
	default:
		img, err = jpeg.Decode(f)
	}
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return img
}

func gtLines(t testing.TB, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samples, name))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// layout places text lines on made-up boxes like an OCR engine would report
// them: a line height of h pixels, boxes that reach up to the cap height only
// for words with capitals, tall letters or diacritics, down below the baseline
// only for words with descenders, and small boxes for dashes.
func layout(lines []string, x0, y0, width, h int) ([]Word, []int) {
	var words []Word
	var nums []int
	y := y0
	for li, line := range lines {
		fields := strings.Fields(line)
		n := 0
		for _, f := range fields {
			n += len([]rune(f)) + 1
		}
		cw := min(h/2, width/n)
		x := x0
		for _, f := range fields {
			w := len([]rune(f)) * cw
			top, bottom := y, y+h*3/4 // cap height to baseline
			tall := strings.ContainsAny(f, "bdfhklt0123456789Đđ") || len(norm.NFD.String(f)) > len(f)
			for _, r := range f {
				tall = tall || unicode.IsUpper(r)
			}
			if !tall {
				top = y + h/4 // x-height only
			}
			if strings.ContainsAny(f, "gpqyj,;") {
				bottom = y + h
			}
			if f == "-" {
				top, bottom = y+h*2/5, y+h/2
			}
			words = append(words, Word{Text: f, Box: image.Rect(x, top, x+w, bottom)})
			nums = append(nums, li)
			x += w + cw
		}
		y += h * 3 / 2
	}
	return words, nums
}

// testDoc is a three-page document: a bitonal synthetic page, the colour
// sample scan and the gray sample scan, each with Vietnamese words.
type testDoc struct {
	pages []Page
	lines [][]string // expected text lines per page
	src   []image.Image
	meta  Metadata
}

func newTestDoc(t testing.TB) *testDoc {
	t.Helper()
	d := &testDoc{}

	// Page 1: white with black marks, 200 dpi, words without line numbers.
	g := image.NewGray(image.Rect(0, 0, 1654, 2339))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	for y := 200; y < 260; y++ {
		for x := 150; x < 1500; x++ {
			g.Pix[y*g.Stride+x] = 0
		}
	}
	l1 := []string{
		"Đặng Thị Ngọc Ánh, Nguyễn Văn Ễnh",
		"ờ ặ ễ Đ ư ơ ỹ Ỵ ừng sự kiện quan trọng",
		"Số: 312/CCVTLT-NVLT ngày 25/6/2025",
		"giữ gìn bảo quản tài liệu lưu trữ vĩnh viễn",
	}
	w1, _ := layout(l1, 150, 400, 1350, 50)
	im1, err := EncodeImage(g, EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.pages = append(d.pages, Page{Image: im1, DPIX: 200, DPIY: 200, Words: w1})
	d.lines = append(d.lines, l1)
	d.src = append(d.src, g)

	// Page 2: the colour sample, 200 dpi.
	c := loadImage(t, "bb-giao-nhan-p01.jpg")
	l2 := gtLines(t, "bb-giao-nhan-p01.gt.txt")
	w2, n2 := layout(l2, 150, 150, 1400, 46)
	im2, err := EncodeImage(c, EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.pages = append(d.pages, Page{Image: im2, DPIX: 200, DPIY: 200, Words: w2, Lines: n2})
	d.lines = append(d.lines, l2)
	d.src = append(d.src, c)

	// Page 3: the gray sample, 300 dpi (landscape as scanned).
	gr := loadImage(t, "cv-giao-nop-p01.png")
	l3 := gtLines(t, "cv-giao-nop-p01.gt.txt")[:20]
	w3, n3 := layout(l3, 200, 200, 3200, 70)
	im3, err := EncodeImage(gr, EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.pages = append(d.pages, Page{Image: im3, DPIX: 300, DPIY: 300, Words: w3, Lines: n3})
	d.lines = append(d.lines, l3)
	d.src = append(d.src, gr)

	d.meta = Metadata{
		Title:      "Biên bản giao nhận tài liệu lưu trữ số hóa",
		Creator:    "Công ty Cổ phần Cấp nước Sông Hồng",
		Identifier: "H01.2025.01.001",
		Date:       time.Date(2025, 6, 25, 14, 30, 5, 0, time.FixedZone("ICT", 7*3600)),
		Producer:   "sohoa 0.1.0",
		DocumentID: "uuid:8f14e45f-ceea-467f-a8f3-3c8a1c9b2d10",
		Archive: map[string]string{
			"fileCode":        "H01.2025.01",
			"docOrdinal":      "1",
			"codeNumber":      "15",
			"codeNotation":    "BB-CTCN",
			"typeName":        "Biên bản",
			"maintenance":     "Vĩnh viễn",
			"mode":            "Thường",
			"confidenceLevel": "Bản chính",
			"paperFileCode":   "HS-2025/01 <giấy> & \"bản gốc\"",
		},
	}
	return d
}

func writeFile(t testing.TB, d *testDoc, part Part) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(context.Background(), &buf, d.pages, d.meta, Options{Part: part}); err != nil {
		t.Fatalf("Write %s: %v", part, err)
	}
	name := filepath.Join(t.TempDir(), "doc-"+string(part)+".pdf")
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return name, buf.Bytes()
}

// TestDocument checks one PDF/A-1b and one PDF/A-2b file built from the same
// pages with the real tools: conformance, text, word boxes, images, page size,
// metadata and determinism.
func TestDocument(t *testing.T) {
	d := newTestDoc(t)
	f1, b1 := writeFile(t, d, PDFA1B)
	f2, b2 := writeFile(t, d, PDFA2B)
	t.Logf("PDF/A-1b %d bytes, PDF/A-2b %d bytes", len(b1), len(b2))

	t.Run("structure", func(t *testing.T) {
		for _, b := range [][]byte{b1, b2} {
			if !bytes.HasPrefix(b, []byte("%PDF-1.4\n%\xE2\xE3\xCF\xD3\n")) {
				t.Errorf("header = %q", b[:16])
			}
			for _, bad := range []string{"/ObjStm", "/XRef", "/Encrypt", "/LZWDecode", "/JavaScript", "/JS", "/SMask", "/Group", "/Interpolate", "/Transparency"} {
				if bytes.Contains(b, []byte(bad)) {
					t.Errorf("file contains %s", bad)
				}
			}
			if !bytes.Contains(b, []byte("\nxref\n0 ")) || !bytes.HasSuffix(b, []byte("%%EOF\n")) {
				t.Error("no classic xref table or no EOF marker at the end")
			}
			if !regexp.MustCompile(`/ID\[<[0-9A-F]{32}> ?<[0-9A-F]{32}>\]`).Match(b) {
				t.Error("no trailer /ID")
			}
		}
	})

	t.Run("qpdf", func(t *testing.T) {
		for _, f := range []string{f1, f2} {
			pdfatest.QPDFCheck(t, f)
		}
	})

	t.Run("preflight", func(t *testing.T) {
		out, ok := pdfatest.Preflight(t, f1)
		if !ok {
			t.Errorf("PDF/A-1b file rejected by Preflight:\n%s", out)
		}
		// The PDF/A-1b validator must find nothing in the 2b file but its part number.
		out, ok = pdfatest.Preflight(t, f2)
		errs := regexp.MustCompile(`(?m)^\d+(\.\d+)* : .*$`).FindAllString(out, -1)
		if ok || len(errs) != 1 || !strings.Contains(errs[0], "part must be 1") {
			t.Errorf("Preflight on the PDF/A-2b file: want only the part-number error, got:\n%s", out)
		}
	})

	t.Run("metadata", func(t *testing.T) {
		for _, c := range []struct {
			file, part string
		}{{f1, "1"}, {f2, "2"}} {
			info := pdfatest.Tool(t, "pdfinfo", c.file)
			for _, want := range []string{
				"Title:           " + d.meta.Title,
				"Author:          " + d.meta.Creator,
				"Producer:        sohoa 0.1.0",
				"PDF version:     1.4",
				"Pages:           3",
			} {
				if !strings.Contains(info, want+"\n") {
					t.Errorf("pdfinfo lacks %q:\n%s", want, info)
				}
			}
			info = pdfatest.Tool(t, "pdfinfo", "-isodates", c.file)
			if !strings.Contains(info, "CreationDate:    2025-06-25T14:30:05+07") {
				t.Errorf("pdfinfo -isodates: creation date wrong:\n%s", info)
			}
			xmp := pdfatest.Tool(t, "pdfinfo", "-meta", c.file)
			for _, want := range []string{
				"<pdfaid:part>" + c.part + "</pdfaid:part>",
				"<pdfaid:conformance>B</pdfaid:conformance>",
				`<rdf:li xml:lang="x-default">` + d.meta.Title + "</rdf:li>",
				"<rdf:li>" + d.meta.Creator + "</rdf:li>",
				"<dc:identifier>H01.2025.01.001</dc:identifier>",
				"<dc:language><rdf:Bag><rdf:li>vi</rdf:li></rdf:Bag></dc:language>",
				"<xmp:CreateDate>2025-06-25T14:30:05+07:00</xmp:CreateDate>",
				"<pdf:Producer>sohoa 0.1.0</pdf:Producer>",
				"<xmpMM:DocumentID>uuid:8f14e45f-ceea-467f-a8f3-3c8a1c9b2d10</xmpMM:DocumentID>",
				`xmlns:sohoa="https://sohoa.vn/ns/archive/1.0/"`,
				"<sohoa:typeName>Biên bản</sohoa:typeName>",
				"<sohoa:paperFileCode>HS-2025/01 &lt;giấy&gt; &amp; &quot;bản gốc&quot;</sohoa:paperFileCode>",
				"<pdfaProperty:name>confidenceLevel</pdfaProperty:name>",
			} {
				if !strings.Contains(xmp, want) {
					t.Errorf("part %s XMP lacks %q", c.part, want)
				}
			}
		}
	})

	t.Run("text", func(t *testing.T) {
		out := pdfatest.Tool(t, "pdftotext", "-enc", "UTF-8", f2, "-")
		pages := strings.Split(out, "\f")
		if len(pages) < len(d.lines) {
			t.Fatalf("pdftotext gave %d pages", len(pages))
		}
		for i, want := range d.lines {
			var got []string
			for _, l := range strings.Split(norm.NFC.String(pages[i]), "\n") {
				if l = strings.Join(strings.Fields(l), " "); l != "" {
					got = append(got, l)
				}
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("page %d text:\n got: %q\nwant: %q", i+1, got, want)
			}
		}
	})

	t.Run("boxes", func(t *testing.T) {
		out := pdfatest.Tool(t, "pdftotext", "-bbox", "-enc", "UTF-8", f2, "-")
		pagesXML := strings.Split(out, "<page ")[1:]
		if len(pagesXML) != len(d.pages) {
			t.Fatalf("pdftotext -bbox gave %d pages", len(pagesXML))
		}
		wordRE := regexp.MustCompile(`<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">([^<]*)</word>`)
		for i, p := range d.pages {
			ws := wordRE.FindAllStringSubmatch(pagesXML[i], -1)
			if len(ws) != len(p.Words) {
				t.Errorf("page %d: %d words extracted, want %d", i+1, len(ws), len(p.Words))
				continue
			}
			good, minIoU, sum := 0, 1.0, 0.0
			for j, m := range ws {
				if txt := html.UnescapeString(m[5]); txt != p.Words[j].Text {
					t.Errorf("page %d word %d = %q, want %q", i+1, j, txt, p.Words[j].Text)
				}
				var v [4]float64
				for k := range v {
					v[k], _ = strconv.ParseFloat(m[k+1], 64)
				}
				got := [4]float64{v[0] * p.DPIX / 72, v[1] * p.DPIY / 72, v[2] * p.DPIX / 72, v[3] * p.DPIY / 72}
				iou := pdfatest.IoU(got, pdfatest.RectBox(p.Words[j].Box))
				sum += iou
				minIoU = min(minIoU, iou)
				if iou >= 0.5 {
					good++
				}
			}
			frac := float64(good) / float64(len(ws))
			t.Logf("page %d: %d words, IoU>=0.5 for %.1f%%, mean IoU %.3f, min %.3f", i+1, len(ws), 100*frac, sum/float64(len(ws)), minIoU)
			if frac < 0.95 {
				t.Errorf("page %d: only %.1f%% of words have IoU >= 0.5", i+1, 100*frac)
			}
		}
	})

	t.Run("images", func(t *testing.T) {
		out := pdfatest.Tool(t, "pdfimages", "-list", f2)
		want := []string{
			`^\s*1\s+0\s+image\s+1654\s+2339\s+gray\s+1\s+1\s+image\s+no\s+\d+\s+0\s+200\s+200\s`,
			`^\s*2\s+1\s+image\s+1700\s+2370\s+rgb\s+3\s+8\s+jpeg\s+no\s+\d+\s+0\s+200\s+200\s`,
			`^\s*3\s+2\s+image\s+3621\s+2643\s+gray\s+1\s+8\s+jpeg\s+no\s+\d+\s+0\s+300\s+300\s`,
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2+len(want) {
			t.Fatalf("pdfimages -list:\n%s", out)
		}
		for i, re := range want {
			if !regexp.MustCompile(re).MatchString(lines[2+i]) {
				t.Errorf("image %d: %q does not match %s", i+1, lines[2+i], re)
			}
		}
	})

	t.Run("pagesize", func(t *testing.T) {
		out := pdfatest.Tool(t, "pdfinfo", "-f", "1", "-l", "3", f2)
		for i, want := range []string{"595.44 x 842.04 pts", "612 x 853.2 pts", "869.04 x 634.32 pts"} {
			if !strings.Contains(out, fmt.Sprintf("Page %4d size:  %s", i+1, want)) {
				t.Errorf("page %d size: want %s in\n%s", i+1, want, out)
			}
		}
	})

	t.Run("bitonal", func(t *testing.T) {
		// The bitonal page is lossless: rendered at its resolution it gives back the source exactly.
		img := pdfatest.Render(t, "pdftocairo", f2, 1, 200)
		if p := pdfatest.PSNR(d.src[0], img); !math.IsInf(p, 1) {
			t.Errorf("bitonal page rendered by pdftocairo: PSNR %.2f dB, want identical pixels", p)
		}
	})

	t.Run("deterministic", func(t *testing.T) {
		_, again := writeFile(t, d, PDFA2B)
		if !bytes.Equal(b2, again) {
			t.Error("two writes of the same document differ")
		}
		if bytes.Equal(b1, b2) {
			t.Error("1b and 2b files are identical")
		}
	})
}

func abs(v int) int { return max(v, -v) }

// TestSRGBProfile checks the generated ICC profile with Little CMS (through
// Pillow): it parses as an ICC v2.1 RGB display profile and maps colours to
// Little CMS's own sRGB unchanged.
func TestSRGBProfile(t *testing.T) {
	icc := srgbICC()
	if !bytes.Equal(icc, srgbICC()) || len(icc)%4 != 0 {
		t.Fatal("profile not deterministic or not 4-byte aligned")
	}
	file := filepath.Join(t.TempDir(), "srgb.icc")
	if err := os.WriteFile(file, icc, 0o644); err != nil {
		t.Fatal(err)
	}
	script := `
import sys
from PIL import Image, ImageCms
p = ImageCms.getOpenProfile(sys.argv[1])
print(ImageCms.getProfileDescription(p).strip(), p.profile.version, p.profile.xcolor_space.strip(), p.profile.device_class)
print(" ".join("%.4f" % v for c in (p.profile.red_colorant, p.profile.green_colorant, p.profile.blue_colorant) for v in c[0]))
tr = ImageCms.buildTransform(p, ImageCms.createProfile("sRGB"), "RGB", "RGB", renderingIntent=1)
im = Image.new("RGB", (7, 1))
cols = [(0, 0, 0), (255, 255, 255), (200, 30, 40), (20, 180, 60), (30, 40, 220), (128, 128, 128), (250, 240, 10)]
for i, c in enumerate(cols):
    im.putpixel((i, 0), c)
out = ImageCms.applyTransform(im, tr)
print(max(abs(a - b) for i, c in enumerate(cols) for a, b in zip(c, out.getpixel((i, 0)))))
`
	out := strings.Fields(pdfatest.Tool(t, "/usr/bin/python3", "-c", script, file))
	want := strings.Fields(`sRGB IEC61966-2.1 2.1 RGB mntr
		0.4360 0.2225 0.0139 0.3851 0.7169 0.0971 0.1431 0.0606 0.7139 0`)
	if strings.Join(out, " ") != strings.Join(want, " ") {
		t.Errorf("Little CMS reads the profile as\n%q\nwant\n%q", out, want)
	}
}

// TestTouchingWords checks that words whose boxes touch or overlap still come
// out of pdftotext as separate words, and that a page without line numbers is
// split into lines by geometry.
func TestTouchingWords(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 800, 400))
	for i := range g.Pix {
		g.Pix[i] = 200
	}
	im, err := EncodeImage(g, EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	words := []Word{
		{"Hồ", image.Rect(100, 100, 160, 140)},
		{"sơ", image.Rect(160, 100, 220, 140)},  // touching
		{"lưu", image.Rect(210, 100, 300, 140)}, // overlapping by 10 px
		{"trữ", image.Rect(305, 95, 390, 145)},
		{"số", image.Rect(100, 200, 150, 240)}, // next line
		{"hóa", image.Rect(150, 200, 230, 240)},
		{" ", image.Rect(240, 200, 260, 240)}, // no text: left out
		{"x", image.Rect(900, 200, 950, 240)}, // outside the image: left out
	}
	var buf bytes.Buffer
	if err := Write(context.Background(), &buf, []Page{{Image: im, DPIX: 100, DPIY: 100, Words: words}}, Metadata{Title: "x"}, Options{}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "t.pdf")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got := strings.TrimSpace(pdfatest.Tool(t, "pdftotext", "-enc", "UTF-8", file, "-"))
	if want := "Hồ sơ lưu trữ\nsố hóa"; got != want {
		t.Errorf("pdftotext = %q, want %q", got, want)
	}
	if out := pdfatest.Tool(t, "pdfimages", "-list", file); !strings.Contains(out, "gray    1   8  jpeg") {
		t.Errorf("flat gray page not stored as 8-bit gray JPEG:\n%s", out)
	}
}

func TestWriteErrors(t *testing.T) {
	im, err := EncodeImage(image.NewGray(image.Rect(0, 0, 100, 100)), EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ok := Page{Image: im, DPIX: 100, DPIY: 100}
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for name, c := range map[string]struct {
		ctx   context.Context
		pages []Page
		meta  Metadata
		opts  Options
	}{
		"no pages":      {ctx, nil, Metadata{}, Options{}},
		"unknown part":  {ctx, []Page{ok}, Metadata{}, Options{Part: "3u"}},
		"zero dpi":      {ctx, []Page{{Image: im, DPIX: 0, DPIY: 100}}, Metadata{}, Options{}},
		"NaN dpi":       {ctx, []Page{{Image: im, DPIX: math.NaN(), DPIY: 100}}, Metadata{}, Options{}},
		"huge page":     {ctx, []Page{{Image: im, DPIX: 0.1, DPIY: 0.1}}, Metadata{}, Options{}},
		"no data":       {ctx, []Page{{Image: Image{Width: 10, Height: 10, BitsPerComponent: 8}, DPIX: 100, DPIY: 100}}, Metadata{}, Options{}},
		"1-bit JPEG":    {ctx, []Page{{Image: Image{Data: im.Data, Width: 100, Height: 100, BitsPerComponent: 1, Gray: true}, DPIX: 100, DPIY: 100}}, Metadata{}, Options{}},
		"lines count":   {ctx, []Page{{Image: im, DPIX: 100, DPIY: 100, Words: []Word{{"a", image.Rect(0, 0, 5, 5)}}, Lines: []int{0, 1}}}, Metadata{}, Options{}},
		"archive key":   {ctx, []Page{ok}, Metadata{Archive: map[string]string{"bad key": "x"}}, Options{}},
		"archive colon": {ctx, []Page{ok}, Metadata{Archive: map[string]string{"x:y": "x"}}, Options{}},
		"cancelled":     {cancelled, []Page{ok}, Metadata{}, Options{}},
	} {
		if err := Write(c.ctx, io.Discard, c.pages, c.meta, c.opts); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if err := Write(ctx, io.Discard, []Page{ok}, Metadata{}, Options{}); err != nil {
		t.Errorf("minimal document: %v", err)
	}
}

// BenchmarkWrite writes a 300-dpi A4 colour page (JPEG passed through) with
// 400 words of text layer.
func BenchmarkWrite(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(samples, "qd-chinh-ly-p01.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	im, err := PassThroughJPEG(data)
	if err != nil {
		b.Fatal(err)
	}
	var lines []string
	for range 40 {
		lines = append(lines, "Thực hiện Luật Lưu trữ số 33/2024/QH15 và Thông tư số 05/2025/TT-BNV của Bộ Nội vụ")
	}
	words, nums := layout(lines, 250, 250, 2100, 60)
	pages := []Page{{Image: im, DPIX: 300, DPIY: 300, Words: words, Lines: nums}}
	meta := Metadata{Title: "Quyết định", Producer: "sohoa bench", Date: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := Write(context.Background(), io.Discard, pages, meta, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
