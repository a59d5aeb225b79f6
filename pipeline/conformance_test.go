package pipeline

// Issue 3 at the pipeline level: the PDF/A files of the sample batch, as
// Process writes them, are checked with the tools an archive would use.
//
// Rendering: the PSNR check renders with pdftoppm (poppler's Splash) at the
// scan's resolution, as the issue asks. Splash used to resample every page
// image to one pixel more than its size (it takes an image edge at device x
// to cover pixel floor(x)), which blurred and shifted pages to about 30 dB
// even when stored losslessly; pdfa draws the image a hair (0.002 pt) inside
// the page's right and bottom edges, so that Splash copies it 1:1 and the
// measured PSNR is the JPEG loss alone.

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"html"
	"image"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/ocr/accuracy"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa/pdfatest"
	"github.com/sohoa-vn/sohoa/pipeline/scan"
)

// Fidelity thresholds from issue 3.
const (
	minPSNR       = 35.0 // dB, rendered page against the normalized scan
	minIoU        = 0.5  // a PDF word box "overlaps" its OCR box
	minIoUShare   = 0.95 // share of words that must overlap
	pageSizeSlack = 0.01 // points
)

func TestConformancePDFA1B(t *testing.T) {
	ctx := context.Background()
	b, err := Load(ctx, sampleBatch, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	rep, err := Process(ctx, b, out, Options{Workers: 2, Producer: "sohoa test", PDF: pdfa.Options{Part: pdfa.PDFA1B}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Complete || rep.DocumentsDone != 4 || rep.PagesDone != 4 {
		t.Fatalf("report = %+v", rep)
	}
	dir := filepath.Join(out, rep.BatchID)
	rec := readRecord(t, dir)
	eng, err := ocr.NewEngine(ocr.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()

	var matched, words, docs int
	for _, f := range rec.Files {
		for _, d := range f.Documents {
			if d.Status != "done" {
				t.Errorf("%s: status %s %s", d.Source, d.Status, d.Error)
				continue
			}
			docs++
			file := filepath.Join(dir, filepath.FromSlash(d.PDF))
			t.Run(filepath.Base(d.PDF), func(t *testing.T) {
				t.Run("preflight", func(t *testing.T) {
					if report, ok := pdfatest.Preflight(t, file); !ok {
						t.Errorf("PDFBox Preflight rejects the PDF/A-1b file:\n%s", report)
					}
				})
				t.Run("qpdf", func(t *testing.T) { pdfatest.QPDFCheck(t, file) })
				t.Run("text", func(t *testing.T) {
					txt, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(d.Text)))
					if err != nil {
						t.Fatal(err)
					}
					got, want := accuracy.Fold(pdftotext(t, file)), accuracy.Fold(string(txt))
					if got != want {
						t.Errorf("pdftotext differs from the OCR text:\n%s", firstDiff(got, want))
					}
				})
				layout := pdfLayout(t, file)
				t.Run("pagesize", func(t *testing.T) { checkPageSizes(t, layout, d) })
				t.Run("bbox", func(t *testing.T) {
					m, n := checkWordBoxes(t, layout, readALTO(t, filepath.Join(dir, filepath.FromSlash(d.ALTO))))
					matched += m
					words += n
				})
				t.Run("images", func(t *testing.T) { checkImageList(t, file, d) })
				t.Run("psnr", func(t *testing.T) { checkRendering(t, eng, file, d) })
			})
		}
	}
	if docs != 4 {
		t.Errorf("%d documents checked, want 4", docs)
	}
	if words > 0 {
		t.Logf("all documents: %d of %d words (%.1f%%) have a pdftotext box with IoU >= %.1f", matched, words, 100*float64(matched)/float64(words), minIoU)
	}
}

// TestConformanceQPDF2B checks the default PDF/A-2b outputs of the sample batch with qpdf.
func TestConformanceQPDF2B(t *testing.T) {
	dir, _ := processSample(t)
	rec := readRecord(t, dir)
	n := 0
	for _, f := range rec.Files {
		for _, d := range f.Documents {
			if d.PDF == "" {
				t.Errorf("%s: no PDF", d.Source)
				continue
			}
			n++
			pdfatest.QPDFCheck(t, filepath.Join(dir, filepath.FromSlash(d.PDF)))
		}
	}
	if n != 4 {
		t.Errorf("%d PDFs checked, want 4", n)
	}
}

// firstDiff shows where two strings first differ.
func firstDiff(got, want string) string {
	g, w := []rune(got), []rune(want)
	i := 0
	for i < len(g) && i < len(w) && g[i] == w[i] {
		i++
	}
	from := max(0, i-40)
	return fmt.Sprintf("at rune %d:\n got: …%s…\nwant: …%s…", i, string(g[from:min(len(g), i+40)]), string(w[from:min(len(w), i+40)]))
}

// box is an axis-aligned box in pixels: x0, y0, x1, y1.
type box [4]float64

// boxWord is a word and its box.
type boxWord struct {
	text string
	box  box
}

// layoutPage is one page as pdftotext -bbox or ALTO sees it.
type layoutPage struct {
	width, height float64 // points for pdftotext, pixels for ALTO
	words         []boxWord
}

var (
	bboxPage = regexp.MustCompile(`<page width="([0-9.]+)" height="([0-9.]+)">`)
	bboxWord = regexp.MustCompile(`<word xMin="([-0-9.]+)" yMin="([-0-9.]+)" xMax="([-0-9.]+)" yMax="([-0-9.]+)">([^<]*)</word>`)
)

// pdfLayout reads the pages and word boxes (in points, origin top-left) of a PDF with pdftotext -bbox.
func pdfLayout(t *testing.T, file string) []layoutPage {
	t.Helper()
	out := pdfatest.Tool(t, "pdftotext", "-enc", "UTF-8", "-bbox", file, "-")
	var pages []layoutPage
	for _, line := range strings.Split(out, "\n") {
		if m := bboxPage.FindStringSubmatch(line); m != nil {
			pages = append(pages, layoutPage{width: atof(t, m[1]), height: atof(t, m[2])})
			continue
		}
		if m := bboxWord.FindStringSubmatch(line); m != nil {
			if len(pages) == 0 {
				t.Fatalf("pdftotext -bbox: word before page: %s", line)
			}
			p := &pages[len(pages)-1]
			p.words = append(p.words, boxWord{html.UnescapeString(m[5]), box{atof(t, m[1]), atof(t, m[2]), atof(t, m[3]), atof(t, m[4])}})
		}
	}
	if len(pages) == 0 {
		t.Fatalf("pdftotext -bbox found no pages:\n%s", out)
	}
	return pages
}

func atof(t testing.TB, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// readALTO reads the pages (size in pixels) and String boxes of an ALTO file.
func readALTO(t *testing.T, file string) []layoutPage {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	attrs := func(se xml.StartElement) map[string]string {
		m := map[string]string{}
		for _, a := range se.Attr {
			m[a.Name.Local] = a.Value
		}
		return m
	}
	var pages []layoutPage
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "Page":
			a := attrs(se)
			pages = append(pages, layoutPage{width: atof(t, a["WIDTH"]), height: atof(t, a["HEIGHT"])})
		case "String":
			if len(pages) == 0 {
				t.Fatal("ALTO String outside a Page")
			}
			a := attrs(se)
			x, y := atof(t, a["HPOS"]), atof(t, a["VPOS"])
			p := &pages[len(pages)-1]
			p.words = append(p.words, boxWord{a["CONTENT"], box{x, y, x + atof(t, a["WIDTH"]), y + atof(t, a["HEIGHT"])}})
		}
	}
	if len(pages) == 0 {
		t.Fatalf("%s: no ALTO pages", file)
	}
	return pages
}

// checkPageSizes checks that every page measures its normalized image's pixels / dpi * 72 points.
func checkPageSizes(t *testing.T, pages []layoutPage, d *docRecord) {
	if len(pages) != len(d.Pages) {
		t.Fatalf("PDF has %d pages, document %d", len(pages), len(d.Pages))
	}
	for i, p := range pages {
		pr := d.Pages[i]
		w, h := float64(pr.Width)/pr.DPI*72, float64(pr.Height)/pr.DPI*72
		t.Logf("page %d: %.3f x %.3f pt; %d x %d px at %v dpi = %.3f x %.3f pt", i+1, p.width, p.height, pr.Width, pr.Height, pr.DPI, w, h)
		if pr.Width == 0 || math.Abs(p.width-w) > pageSizeSlack || math.Abs(p.height-h) > pageSizeSlack {
			t.Errorf("page %d is %.3f x %.3f pt, want %.3f x %.3f pt", i+1, p.width, p.height, w, h)
		}
	}
}

// checkWordBoxes pairs the words pdftotext finds with the ALTO words, in
// order, and checks their boxes overlap. It returns how many words have IoU >= minIoU, of how many.
func checkWordBoxes(t *testing.T, pdf, alto []layoutPage) (matched, total int) {
	if len(pdf) != len(alto) {
		t.Fatalf("PDF has %d pages, ALTO %d", len(pdf), len(alto))
	}
	var sum float64
	for i := range pdf {
		p, a := pdf[i], alto[i]
		sx, sy := a.width/p.width, a.height/p.height // pixels per point
		pairs := alignWords(p.words, a.words)
		if len(pairs) != len(a.words) || len(p.words) != len(a.words) {
			t.Errorf("page %d: pdftotext has %d words, ALTO %d, %d pair up by text", i+1, len(p.words), len(a.words), len(pairs))
		}
		for _, pr := range pairs {
			pb := p.words[pr[0]].box
			px := box{pb[0] * sx, pb[1] * sy, pb[2] * sx, pb[3] * sy}
			v := pdfatest.IoU(px, a.words[pr[1]].box)
			sum += v
			if v >= minIoU {
				matched++
			}
		}
		total += len(a.words)
	}
	if total == 0 {
		t.Fatal("no OCR words")
	}
	share := float64(matched) / float64(total)
	t.Logf("%d of %d words (%.1f%%) overlap their OCR box with IoU >= %.1f; mean IoU %.2f", matched, total, 100*share, minIoU, sum/float64(total))
	if share < minIoUShare {
		t.Errorf("only %.1f%% of words overlap, want >= %.0f%%", 100*share, 100*minIoUShare)
	}
	return matched, total
}

// alignWords pairs equal words of a and b (after NFC) by a longest common
// subsequence, returning index pairs in order.
func alignWords(a, b []boxWord) [][2]int {
	fa := make([]string, len(a))
	for i, w := range a {
		fa[i] = accuracy.Fold(w.text)
	}
	fb := make([]string, len(b))
	for i, w := range b {
		fb[i] = accuracy.Fold(w.text)
	}
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if fa[i] == fb[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var pairs [][2]int
	for i, j := 0, 0; i < n && j < m; {
		switch {
		case fa[i] == fb[j]:
			pairs = append(pairs, [2]int{i, j})
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			i++
		default:
			j++
		}
	}
	return pairs
}

var imageListLine = regexp.MustCompile(`^\s*(\d+)\s+\d+\s+image\s+(\d+)\s+(\d+)\s+(\w+)\s+(\d+)\s+(\d+)\s+(\w+)\s+\w+\s+\d+\s+\d+\s+(\d+)\s+(\d+)\s`)

// checkImageList checks with pdfimages -list that each page holds one image
// of the normalized size, at the scan's resolution, colour for colour scans
// and gray for gray ones.
func checkImageList(t *testing.T, file string, d *docRecord) {
	out := pdfatest.Tool(t, "pdfimages", "-list", file)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2+len(d.Pages) {
		t.Fatalf("want one image per page, pdfimages -list:\n%s", out)
	}
	for i, pr := range d.Pages {
		m := imageListLine.FindStringSubmatch(lines[2+i])
		if m == nil {
			t.Errorf("pdfimages -list line %q not understood", lines[2+i])
			continue
		}
		got := fmt.Sprintf("page %s: %sx%s %s %s comp %s bpc %s, %sx%s ppi", m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9])
		t.Logf("scan %s (%s): %s", pr.File, pr.Color, got)
		dpi := strconv.Itoa(int(math.Round(pr.DPI)))
		want := fmt.Sprintf("page %d: %dx%d ", i+1, pr.Width, pr.Height)
		switch pr.Color {
		case "rgb", "rgba", "palette":
			want += "rgb 3 comp 8 bpc jpeg"
		case "gray":
			want += "gray 1 comp 8 bpc jpeg"
		case "bitonal":
			want += "gray 1 comp 1 bpc image"
		default:
			t.Errorf("scan colour model %q not covered by this test", pr.Color)
			continue
		}
		want += fmt.Sprintf(", %sx%s ppi", dpi, dpi)
		if got != want && !(pr.Color == "gray" && got == strings.Replace(want, "8 bpc jpeg", "1 bpc image", 1)) {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}

// normalizedPage decodes a page of the sample batch and normalizes it as
// ProcessPage does, returning the normalized image and its encoding with the
// default options.
func normalizedPage(t testing.TB, eng *ocr.Engine, batchDir string, pr *pageRecord) (image.Image, pdfa.Image) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(batchDir, filepath.FromSlash(pr.File)))
	if err != nil {
		t.Fatal(err)
	}
	img, info, err := scan.DecodeBytes(data, pr.FilePage)
	if err != nil {
		t.Fatal(err)
	}
	norm, geo, err := Normalize(context.Background(), eng, img)
	if err != nil {
		t.Fatal(err)
	}
	if info.Format == scan.JPEG && geo.NeedsNoChange() {
		enc, err := pdfa.PassThroughJPEG(data)
		if err == nil {
			return norm, enc
		}
	}
	enc, err := pdfa.EncodeImage(norm, pdfa.EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return norm, enc
}

// checkRendering renders every page with pdftoppm at the scan's resolution
// and compares it with the normalized scan: PSNR >= 35 dB. It also checks that
// the normalized image re-made here is the one in the file (its JPEG bytes are
// the embedded stream), so the comparison is with the right image.
func checkRendering(t *testing.T, eng *ocr.Engine, file string, d *docRecord) {
	for i, pr := range d.Pages {
		norm, enc := normalizedPage(t, eng, sampleBatch, pr)
		if enc.Filter == pdfa.DCT {
			prefix := filepath.Join(t.TempDir(), "img")
			n := strconv.Itoa(i + 1)
			pdfatest.Tool(t, "pdfimages", "-j", "-f", n, "-l", n, file, prefix)
			embedded, err := os.ReadFile(prefix + "-000.jpg")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(embedded, enc.Data) {
				t.Fatalf("page %d: the embedded JPEG (%d bytes) is not the re-made normalized page (%d bytes)", i+1, len(embedded), len(enc.Data))
			}
		}
		dpi := int(math.Round(pr.DPI))
		rendered := pdfatest.Render(t, "pdftoppm", file, i+1, dpi)
		nb, rb := norm.Bounds(), rendered.Bounds()
		if nb.Dx() != rb.Dx() || nb.Dy() != rb.Dy() {
			// pdftoppm sizes its bitmap with ceil(points * dpi / 72): rounding of
			// the page size to 1/1000 pt can add one white row or column.
			if rb.Dx()-nb.Dx() < 0 || rb.Dx()-nb.Dx() > 1 || rb.Dy()-nb.Dy() < 0 || rb.Dy()-nb.Dy() > 1 {
				t.Errorf("page %d rendered at %d dpi is %v, normalized scan %v", i+1, dpi, rb.Size(), nb.Size())
			}
		}
		p := pdfatest.PSNR(norm, rendered)
		t.Logf("page %d (%s, %d dpi, %d bytes %v): pdftoppm rendering vs normalized scan PSNR %.2f dB", i+1, pr.File, dpi, len(enc.Data), enc.Filter, p)
		if p < minPSNR {
			t.Errorf("page %d: PSNR %.2f dB < %.0f dB", i+1, p, minPSNR)
		}
	}
}
