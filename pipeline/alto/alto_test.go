package alto

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Parsed form of a written document, used to read output back.
type (
	parsedDoc struct {
		XMLName     xml.Name      `xml:"http://www.loc.gov/standards/alto/ns-v4# alto"`
		Unit        string        `xml:"Description>MeasurementUnit"`
		FileName    string        `xml:"Description>sourceImageInformation>fileName"`
		OCR         parsedOCRProc `xml:"Description>OCRProcessing"`
		Pages       []parsedPage  `xml:"Layout>Page"`
		SchemaVer   string        `xml:"SCHEMAVERSION,attr"`
		SchemaLocat string        `xml:"http://www.w3.org/2001/XMLSchema-instance schemaLocation,attr"`
	}
	parsedOCRProc struct {
		ID       string `xml:"ID,attr"`
		Engine   string `xml:"ocrProcessingStep>processingSoftware>softwareName"`
		Settings string `xml:"ocrProcessingStep>processingStepSettings"`
		Software string `xml:"postProcessingStep>processingSoftware>softwareName"`
	}
	parsedBox struct {
		HPOS   int `xml:"HPOS,attr"`
		VPOS   int `xml:"VPOS,attr"`
		WIDTH  int `xml:"WIDTH,attr"`
		HEIGHT int `xml:"HEIGHT,attr"`
	}
	parsedPage struct {
		ID         string      `xml:"ID,attr"`
		Number     int         `xml:"PHYSICAL_IMG_NR,attr"`
		Width      int         `xml:"WIDTH,attr"`
		Height     int         `xml:"HEIGHT,attr"`
		PrintSpace parsedSpace `xml:"PrintSpace"`
	}
	parsedSpace struct {
		parsedBox
		Blocks []parsedBlock `xml:"TextBlock"`
	}
	parsedBlock struct {
		parsedBox
		ID    string       `xml:"ID,attr"`
		Lang  string       `xml:"LANG,attr"`
		Lines []parsedLine `xml:"TextLine"`
	}
	parsedLine struct {
		parsedBox
		ID      string         `xml:"ID,attr"`
		Strings []parsedString `xml:"String"`
		Spaces  []parsedSP     `xml:"SP"`
	}
	parsedString struct {
		parsedBox
		ID      string `xml:"ID,attr"`
		Content string `xml:"CONTENT,attr"`
		WC      string `xml:"WC,attr"`
	}
	parsedSP struct {
		HPOS  int `xml:"HPOS,attr"`
		VPOS  int `xml:"VPOS,attr"`
		WIDTH int `xml:"WIDTH,attr"`
	}
)

func (b parsedBox) rect() image.Rectangle {
	return image.Rect(b.HPOS, b.VPOS, b.HPOS+b.WIDTH, b.VPOS+b.HEIGHT)
}

// sampleDoc builds a document from the ground-truth text of the sample
// pages: one page per sample, one line per text line, a new block every five
// lines, boxes laid out on a 2480x3508 page (A4 at 300 dpi) and varied
// confidences including out-of-range ones.
func sampleDoc(t testing.TB) Document {
	t.Helper()
	files, err := filepath.Glob("../../testdata/samples/*.gt.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no ground truth under testdata/samples: %v", err)
	}
	doc := Document{
		SourceName: "H49.64.33.2024.01.VTLT.1.pdf",
		Software:   "sohoa 0.1.0",
		OCREngine:  "Tesseract 5.3.0 (vie)",
		Language:   "vi",
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p := Page{Width: 2480, Height: 3508, DPI: 300}
		y := 150
		sc := bufio.NewScanner(bytes.NewReader(data))
		for line := 0; sc.Scan(); line++ {
			x := 200
			for _, w := range strings.Fields(sc.Text()) {
				width := 22 * utf8.RuneCountInString(w)
				if x+width > 2400 {
					x = 200
				}
				n++
				p.Words = append(p.Words, Word{
					Text:       w,
					Box:        image.Rect(x, y+n%7, x+width, y+40+n%5),
					Confidence: float64(n*37%106) - 3 + float64(n%4)/4, // -3 .. 102.75
					Block:      line / 5,
					Paragraph:  line % 5 / 3,
					Line:       line,
				})
				x += width + 18
			}
			y += 60
		}
		doc.Pages = append(doc.Pages, p)
	}
	return doc
}

func write(t testing.TB, doc Document) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, doc); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes()
}

func parse(t testing.TB, data []byte) parsedDoc {
	t.Helper()
	var d parsedDoc
	if err := xml.Unmarshal(data, &d); err != nil {
		t.Fatalf("parse output: %v", err)
	}
	return d
}

func wantWC(conf float64) float64 {
	return math.Round(min(max(conf, 0), 100)) / 100
}

func TestRoundTrip(t *testing.T) {
	doc := sampleDoc(t)
	got := parse(t, write(t, doc))

	if got.Unit != "pixel" || got.FileName != doc.SourceName || got.OCR.Engine != doc.OCREngine ||
		got.OCR.Software != doc.Software || got.OCR.ID == "" || got.SchemaVer != "4.4" {
		t.Errorf("description = %+v, unit %q file %q version %q", got.OCR, got.Unit, got.FileName, got.SchemaVer)
	}
	if got.OCR.Settings != "language=vi; dpi=300" {
		t.Errorf("processingStepSettings = %q", got.OCR.Settings)
	}
	if len(got.Pages) != len(doc.Pages) {
		t.Fatalf("%d pages, want %d", len(got.Pages), len(doc.Pages))
	}
	words, blocks, lines := 0, 0, 0
	for i, p := range doc.Pages {
		gp := got.Pages[i]
		if gp.ID != "P"+strconv.Itoa(i+1) || gp.Number != i+1 || gp.Width != p.Width || gp.Height != p.Height {
			t.Errorf("page %d: got ID %s nr %d size %dx%d", i+1, gp.ID, gp.Number, gp.Width, gp.Height)
		}
		var out []parsedString
		for _, b := range gp.PrintSpace.Blocks {
			blocks++
			if b.Lang != "vi" {
				t.Errorf("block %s LANG %q", b.ID, b.Lang)
			}
			for _, l := range b.Lines {
				lines++
				out = append(out, l.Strings...)
			}
		}
		if len(out) != len(p.Words) {
			t.Fatalf("page %d: %d strings, want %d", i+1, len(out), len(p.Words))
		}
		for j, w := range p.Words {
			s := out[j]
			if s.Content != w.Text {
				t.Errorf("page %d word %d: CONTENT %q, want %q", i+1, j+1, s.Content, w.Text)
			}
			if s.rect() != w.Box {
				t.Errorf("page %d word %d: box %v, want %v", i+1, j+1, s.rect(), w.Box)
			}
			wc, err := strconv.ParseFloat(s.WC, 64)
			if err != nil || math.Abs(wc-wantWC(w.Confidence)) > 1e-9 || len(s.WC) != 4 {
				t.Errorf("page %d word %d: WC %q for confidence %v, want %.2f", i+1, j+1, s.WC, w.Confidence, wantWC(w.Confidence))
			}
			words++
		}
	}
	t.Logf("%d pages, %d blocks, %d lines, %d words read back intact", len(got.Pages), blocks, lines, words)
}

func TestVietnameseText(t *testing.T) {
	doc := sampleDoc(t)
	data := write(t, doc)
	for _, s := range []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "QUYẾT ĐỊNH"} {
		for _, w := range strings.Fields(s) {
			if !bytes.Contains(data, []byte(`CONTENT="`+w+`"`)) {
				t.Errorf("output lacks UTF-8 word %q", w)
			}
		}
	}
	// Every line of the ground truth comes back as one TextLine.
	got := parse(t, data)
	var lines []string
	for _, p := range got.Pages {
		for _, b := range p.PrintSpace.Blocks {
			for _, l := range b.Lines {
				var ws []string
				for _, s := range l.Strings {
					ws = append(ws, s.Content)
				}
				lines = append(lines, strings.Join(ws, " "))
			}
		}
	}
	files, _ := filepath.Glob("../../testdata/samples/*.gt.txt")
	var want []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if l = strings.Join(strings.Fields(l), " "); l != "" {
				want = append(want, l)
			}
		}
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("text read back differs from ground truth: %d lines vs %d", len(lines), len(want))
	}

	// Decomposed input comes out composed (NFC); markup characters are escaped.
	tricky := []string{norm.NFD.String("Nghị định"), `a<b>&c"d'e`, "tab\there"}
	var p Page
	p.Width, p.Height = 1000, 100
	for i, s := range tricky {
		p.Words = append(p.Words, Word{Text: s, Box: image.Rect(10+300*i, 10, 200+300*i, 50), Confidence: 90})
	}
	data = write(t, Document{Pages: []Page{p}})
	g := parse(t, data).Pages[0].PrintSpace.Blocks[0].Lines[0].Strings
	for i, s := range tricky {
		if want := norm.NFC.String(s); g[i].Content != want {
			t.Errorf("CONTENT %q, want %q", g[i].Content, want)
		}
	}
	if !norm.NFC.IsNormal(data) {
		t.Error("output is not NFC")
	}
	if bytes.Contains(data, []byte("a<b>")) || !bytes.Contains(data, []byte("a&lt;b&gt;&amp;c&#34;d&#39;e")) {
		t.Errorf("markup not escaped: %s", data)
	}
}

func TestStructure(t *testing.T) {
	r := func(x0, y0, x1, y1 int) image.Rectangle { return image.Rect(x0, y0, x1, y1) }
	doc := Document{Pages: []Page{{Width: 1000, Height: 800, Words: []Word{
		{Text: "Một", Box: r(100, 100, 180, 140), Confidence: 91.4, Block: 1, Paragraph: 1, Line: 1},
		{Text: "hai", Box: r(200, 95, 260, 138), Confidence: 88.5, Block: 1, Paragraph: 1, Line: 1},
		{Text: "   ", Box: r(270, 95, 280, 138), Confidence: 50, Block: 1, Paragraph: 1, Line: 1}, // dropped
		{Text: "ba", Box: r(100, 150, 140, 190), Confidence: 77, Block: 1, Paragraph: 1, Line: 2},
		{Text: "bốn", Box: r(500, 400, 580, 440), Confidence: 60, Block: 1, Paragraph: 2, Line: 1},
		{Text: "năm", Box: r(50, 600, 120, 650), Confidence: 99, Block: 2, Paragraph: 1, Line: 1},
		// Same numbers as the first block again, after another block: a new block, order kept.
		{Text: "sáu", Box: r(300, 700, 360, 740), Confidence: 99, Block: 1, Paragraph: 1, Line: 1},
	}}}}
	got := parse(t, write(t, doc)).Pages[0]
	type blk struct {
		box   image.Rectangle
		lines []image.Rectangle
		text  string
	}
	want := []blk{
		{r(100, 95, 260, 190), []image.Rectangle{r(100, 95, 260, 140), r(100, 150, 140, 190)}, "Một hai|ba"},
		{r(500, 400, 580, 440), []image.Rectangle{r(500, 400, 580, 440)}, "bốn"},
		{r(50, 600, 120, 650), []image.Rectangle{r(50, 600, 120, 650)}, "năm"},
		{r(300, 700, 360, 740), []image.Rectangle{r(300, 700, 360, 740)}, "sáu"},
	}
	if len(got.PrintSpace.Blocks) != len(want) {
		t.Fatalf("%d blocks, want %d", len(got.PrintSpace.Blocks), len(want))
	}
	for i, w := range want {
		b := got.PrintSpace.Blocks[i]
		var lines []string
		for j, l := range b.Lines {
			if j < len(w.lines) && l.rect() != w.lines[j] {
				t.Errorf("block %d line %d box %v, want %v", i+1, j+1, l.rect(), w.lines[j])
			}
			var ws []string
			for _, s := range l.Strings {
				ws = append(ws, s.Content)
			}
			lines = append(lines, strings.Join(ws, " "))
			if len(l.Spaces) != len(l.Strings)-1 {
				t.Errorf("block %d line %d: %d SP for %d String", i+1, j+1, len(l.Spaces), len(l.Strings))
			}
		}
		if b.rect() != w.box || len(b.Lines) != len(w.lines) || strings.Join(lines, "|") != w.text {
			t.Errorf("block %d: box %v lines %d text %q, want %v %d %q", i+1, b.rect(), len(b.Lines), strings.Join(lines, "|"), w.box, len(w.lines), w.text)
		}
	}
	if sp := got.PrintSpace.Blocks[0].Lines[0].Spaces[0]; sp != (parsedSP{HPOS: 180, VPOS: 95, WIDTH: 20}) {
		t.Errorf("SP = %+v, want the gap 180..200 at the line top 95", sp)
	}
	if ps := got.PrintSpace.rect(); ps != r(50, 95, 580, 740) {
		t.Errorf("PrintSpace %v, want union of all words", ps)
	}

	// A page without words still is a valid Page, with the whole page as PrintSpace.
	empty := parse(t, write(t, Document{Pages: []Page{{Width: 640, Height: 480}}})).Pages[0]
	if len(empty.PrintSpace.Blocks) != 0 || empty.PrintSpace.rect() != r(0, 0, 640, 480) {
		t.Errorf("empty page: %+v", empty)
	}
}

func TestExactOutput(t *testing.T) {
	doc := Document{
		Pages: []Page{{Width: 1240, Height: 1754, DPI: 150, Words: []Word{
			{Text: "Số:", Box: image.Rect(100, 200, 150, 230), Confidence: 96.49},
			{Text: "145/QĐ-UBND", Box: image.Rect(160, 198, 400, 232), Confidence: 71.5},
		}}},
		SourceName: "a&b.pdf",
		Software:   "sohoa 0.1.0",
		OCREngine:  "Tesseract 5.3.0 (vie)",
		Language:   "vi",
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.loc.gov/standards/alto/ns-v4# http://www.loc.gov/standards/alto/v4/alto-4-4.xsd" SCHEMAVERSION="4.4">
 <Description>
  <MeasurementUnit>pixel</MeasurementUnit>
  <sourceImageInformation>
   <fileName>a&amp;b.pdf</fileName>
  </sourceImageInformation>
  <OCRProcessing ID="OCR1">
   <ocrProcessingStep>
    <processingCategory>contentGeneration</processingCategory>
    <processingStepDescription>optical character recognition</processingStepDescription>
    <processingStepSettings>language=vi; dpi=150</processingStepSettings>
    <processingSoftware>
     <softwareName>Tesseract 5.3.0 (vie)</softwareName>
    </processingSoftware>
   </ocrProcessingStep>
   <postProcessingStep>
    <processingCategory>other</processingCategory>
    <processingStepDescription>ALTO XML export</processingStepDescription>
    <processingSoftware>
     <softwareName>sohoa 0.1.0</softwareName>
    </processingSoftware>
   </postProcessingStep>
  </OCRProcessing>
 </Description>
 <Layout>
  <Page ID="P1" PHYSICAL_IMG_NR="1" WIDTH="1240" HEIGHT="1754">
   <PrintSpace HPOS="100" VPOS="198" WIDTH="300" HEIGHT="34">
    <TextBlock ID="P1_B1" HPOS="100" VPOS="198" WIDTH="300" HEIGHT="34" LANG="vi">
     <TextLine ID="P1_L1" HPOS="100" VPOS="198" WIDTH="300" HEIGHT="34">
      <String ID="P1_W1" HPOS="100" VPOS="200" WIDTH="50" HEIGHT="30" WC="0.96" CONTENT="Số:"></String>
      <SP HPOS="150" VPOS="198" WIDTH="10"></SP>
      <String ID="P1_W2" HPOS="160" VPOS="198" WIDTH="240" HEIGHT="34" WC="0.72" CONTENT="145/QĐ-UBND"></String>
     </TextLine>
    </TextBlock>
   </PrintSpace>
  </Page>
 </Layout>
</alto>
`
	got := string(write(t, doc))
	if got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
	// Deterministic: the same document gives the same bytes.
	big := sampleDoc(t)
	if a, b := write(t, big), write(t, big); !bytes.Equal(a, b) {
		t.Error("two writes of one document differ")
	}
}

func TestSchemaSubset(t *testing.T) {
	docs := map[string]Document{
		"samples":   sampleDoc(t),
		"empty":     {Pages: []Page{{Width: 10, Height: 10}}},
		"bare":      {Pages: []Page{{Width: 100, Height: 100, Words: []Word{{Text: "x", Box: image.Rect(1, 1, 5, 5)}}}}},
		"mixed dpi": {Pages: []Page{{Width: 10, Height: 10, DPI: 300}, {Width: 10, Height: 10, DPI: 200}}, Language: "vi-VN"},
		"junk":      junkDoc(),
	}
	for name, doc := range docs {
		data := write(t, doc)
		for _, err := range validateALTO(bytes.NewReader(data)) {
			t.Errorf("%s: %v", name, err)
		}
	}

	// The checker itself must catch violations, or passing proves nothing.
	good := string(write(t, docs["bare"]))
	bad := map[string]string{
		"missing CONTENT":    strings.Replace(good, ` CONTENT="x"`, "", 1),
		"missing Page ID":    strings.Replace(good, ` ID="P1"`, "", 1),
		"duplicate ID":       strings.Replace(good, `ID="P1_B1"`, `ID="P1"`, 1),
		"ID not an NCName":   strings.Replace(good, `ID="P1_L1"`, `ID="1L"`, 1),
		"WC over 1":          strings.Replace(good, `WC="0.00"`, `WC="1.5"`, 1),
		"bad unit":           strings.Replace(good, ">pixel<", ">px<", 1),
		"Description last":   descriptionLast(good),
		"SP first in line":   strings.Replace(good, "<String ", `<SP WIDTH="1"></SP><String `, 1),
		"empty TextLine":     strings.Replace(good, `<String ID="P1_W1" HPOS="1" VPOS="1" WIDTH="4" HEIGHT="4" WC="0.00" CONTENT="x"></String>`, "", 1),
		"wrong namespace":    strings.Replace(good, "ns-v4#\"", "ns-v3#\"", 1),
		"float":              strings.Replace(good, `WIDTH="100"`, `WIDTH="wide"`, 1),
		"unknown attribute":  strings.Replace(good, `<TextLine `, `<TextLine FOO="1" `, 1),
		"no PHYSICAL_IMG_NR": strings.Replace(good, ` PHYSICAL_IMG_NR="1"`, "", 1),
	}
	for name, s := range bad {
		if s == good {
			t.Fatalf("%s: mutation did not apply", name)
		}
		if errs := validateALTO(strings.NewReader(s)); len(errs) == 0 {
			t.Errorf("%s: checker accepted an invalid document", name)
		} else {
			t.Logf("%s: %v", name, errs[0])
		}
	}
}

// descriptionLast moves the Description element behind Layout.
func descriptionLast(s string) string {
	i, j := strings.Index(s, " <Description>"), strings.Index(s, " <Layout>")
	k := strings.Index(s, "</alto>")
	return s[:i] + s[j:k] + s[i:j] + s[k:]
}

// TestXmllint checks well-formedness with an independent parser (libxml2).
// No ALTO schema is installed and there is no network, so schema validity is
// checked by TestSchemaSubset instead of xmllint --schema.
func TestXmllint(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatalf("xmllint is needed (apt-get install libxml2-utils): %v", err)
	}
	f := filepath.Join(t.TempDir(), "doc.alto.xml")
	if err := os.WriteFile(f, write(t, sampleDoc(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xmllint, "--noout", "--nonet", f).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
}

func TestErrors(t *testing.T) {
	ok := Page{Width: 100, Height: 100}
	cases := map[string]Document{
		"no pages":       {},
		"zero size":      {Pages: []Page{ok, {Width: 0, Height: 10}}},
		"box outside":    {Pages: []Page{{Width: 100, Height: 100, Words: []Word{{Text: "x", Box: image.Rect(90, 90, 101, 95)}}}}},
		"box negative":   {Pages: []Page{{Width: 100, Height: 100, Words: []Word{{Text: "x", Box: image.Rect(-1, 0, 5, 5)}}}}},
		"NaN confidence": {Pages: []Page{{Width: 100, Height: 100, Words: []Word{{Text: "x", Confidence: math.NaN()}}}}},
		"NaN DPI":        {Pages: []Page{{Width: 100, Height: 100, DPI: math.NaN()}}},
		"bad language":   {Pages: []Page{ok}, Language: "tiếng Việt"},
	}
	for name, doc := range cases {
		var buf bytes.Buffer
		err := Write(&buf, doc)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if buf.Len() != 0 {
			t.Errorf("%s: %d bytes written before the error", name, buf.Len())
		}
		if !strings.HasPrefix(err.Error(), "alto: ") {
			t.Errorf("%s: error %q lacks context", name, err)
		}
	}
	// A failing writer's error is returned.
	if err := Write(failWriter{}, Document{Pages: []Page{ok}}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("write error = %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func BenchmarkWrite(b *testing.B) {
	doc := sampleDoc(b)
	// About 25 pages of 250 words, a typical record.
	for len(doc.Pages) < 25 {
		doc.Pages = append(doc.Pages, doc.Pages[:4]...)
	}
	words := 0
	for _, p := range doc.Pages {
		words += len(p.Words)
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := Write(&buf, doc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(words), "words/op")
	b.SetBytes(int64(buf.Len()))
}

// junkDoc has a printed word and a junk word read from a signature.
func junkDoc() Document {
	return Document{Pages: []Page{{Width: 100, Height: 100, Words: []Word{
		{Text: "Nguyễn", Box: image.Rect(1, 1, 30, 10), Confidence: 91, Block: 1, Paragraph: 1, Line: 1},
		{Text: "@39_", Box: image.Rect(1, 20, 30, 30), Confidence: 12, Block: 1, Paragraph: 1, Line: 2, Junk: true},
	}}}}
}

// TestJunkWord checks that a junk word stays in ALTO with its confidence and a reference to
// the JUNK tag, and that a document without junk has no Tags.
func TestJunkWord(t *testing.T) {
	got := string(write(t, junkDoc()))
	for _, want := range []string{
		`<Tags>`, `<OtherTag ID="JUNK" LABEL="handwriting"`,
		`WC="0.12" CONTENT="@39_" TAGREFS="JUNK"`,
		`WC="0.91" CONTENT="Nguyễn"></String>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("ALTO lacks %s:\n%s", want, got)
		}
	}
	doc := junkDoc()
	doc.Pages[0].Words[1].Junk = false
	if clean := string(write(t, doc)); strings.Contains(clean, "Tags") || strings.Contains(clean, "TAGREFS") {
		t.Errorf("ALTO without junk has tags:\n%s", clean)
	}
}
