// Package alto writes OCR results as ALTO XML v4 (https://www.loc.gov/standards/alto/v4/alto-4-4.xsd).
//
// Coordinates are written in pixels of the scan image the word boxes refer
// to (MeasurementUnit "pixel"). Each page becomes a Page with a PrintSpace;
// words that share Block and Paragraph form a TextBlock, words that also share
// Line form a TextLine, and each word is a String. Consecutive Strings of a
// line are separated by SP elements. The output depends only on the Document,
// so the same Document always gives the same bytes.
package alto

import (
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"
)

const (
	// Namespace is the ALTO v4 XML namespace.
	Namespace = "http://www.loc.gov/standards/alto/ns-v4#"
	// SchemaURL is where the schema named in xsi:schemaLocation lives.
	SchemaURL = "http://www.loc.gov/standards/alto/v4/alto-4-4.xsd"
	// SchemaVersion is the value of the SCHEMAVERSION attribute.
	SchemaVersion = "4.4"

	xsiNamespace   = "http://www.w3.org/2001/XMLSchema-instance"
	measurementPix = "pixel"
)

// Word is one recognised word and where it is on the page image.
type Word struct {
	Text       string          // recognised text; words with only white space are left out
	Box        image.Rectangle // bounding box in pixels of the page image
	Confidence float64         // 0..100; values outside are clamped
	Block      int             // words with the same Block and Paragraph form one TextBlock
	Paragraph  int
	Line       int // words of one paragraph with the same Line form one TextLine
	// Junk marks a word read from handwriting, a signature, a seal or a stamp, left out of
	// the document's text: its String refers to the OtherTag JunkTag (TAGREFS).
	Junk bool
}

// JunkTag is the ID of the OtherTag that Strings of junk words refer to.
const JunkTag = "JUNK"

// Page is the OCR result of one page image.
type Page struct {
	Width, Height int     // pixels of the scan image the boxes refer to
	DPI           float64 // resolution of that image; 0 if unknown
	Words         []Word  // reading order
}

// Document is the OCR result of a whole document, written as one ALTO file.
type Document struct {
	Pages      []Page
	SourceName string // e.g. "H49.64.33.2024.01.VTLT.1.pdf"
	Software   string // e.g. "sohoa 0.1.0"
	OCREngine  string // e.g. "Tesseract 5.3.0 (vie)"
	Language   string // BCP 47 / xsd:language, e.g. "vi"; empty leaves LANG out
}

// Write writes doc to w as an ALTO v4 document.
//
// Text is normalised to Unicode NFC and XML-escaped. Blocks and lines are
// formed from runs of consecutive words with the same Block, Paragraph (and
// Line) numbers, so reading order is kept as given. The boxes of lines and
// blocks are the union of their words' boxes; the PrintSpace is the union of
// all words of the page, or the whole page if it has none. WC is
// Confidence/100 rounded to two decimal places.
//
// Write returns an error, before writing anything, if doc has no pages, a
// page has no size, a word box lies outside its page, a confidence or DPI is
// not a number, or Language is not a valid language tag.
func Write(w io.Writer, doc Document) error {
	if err := check(doc); err != nil {
		return fmt.Errorf("alto: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", " ")
	root := xml.StartElement{
		Name: xml.Name{Local: "alto"},
		Attr: []xml.Attr{
			{Name: xml.Name{Local: "xmlns"}, Value: Namespace},
			{Name: xml.Name{Local: "xmlns:xsi"}, Value: xsiNamespace},
			{Name: xml.Name{Local: "xsi:schemaLocation"}, Value: Namespace + " " + SchemaURL},
			{Name: xml.Name{Local: "SCHEMAVERSION"}, Value: SchemaVersion},
		},
	}
	layout := xml.StartElement{Name: xml.Name{Local: "Layout"}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("alto: write header: %w", err)
	}
	if err := enc.EncodeToken(root); err != nil {
		return fmt.Errorf("alto: write header: %w", err)
	}
	if err := enc.EncodeElement(description(doc), xml.StartElement{Name: xml.Name{Local: "Description"}}); err != nil {
		return fmt.Errorf("alto: write description: %w", err)
	}
	if hasJunk(doc) {
		if err := enc.EncodeElement(xTags{Other: []xTag{{ID: JunkTag, Label: "handwriting",
			Description: "read from handwriting, a signature, a seal or a stamp with low confidence; not in the text layer"}}},
			xml.StartElement{Name: xml.Name{Local: "Tags"}}); err != nil {
			return fmt.Errorf("alto: write tags: %w", err)
		}
	}
	if err := enc.EncodeToken(layout); err != nil {
		return fmt.Errorf("alto: write layout: %w", err)
	}
	for i, p := range doc.Pages {
		if err := enc.EncodeElement(page(i+1, p, doc.Language), xml.StartElement{Name: xml.Name{Local: "Page"}}); err != nil {
			return fmt.Errorf("alto: write page %d: %w", i+1, err)
		}
	}
	for _, t := range []xml.Token{layout.End(), root.End()} {
		if err := enc.EncodeToken(t); err != nil {
			return fmt.Errorf("alto: write trailer: %w", err)
		}
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("alto: flush: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("alto: flush: %w", err)
	}
	return nil
}

// check reports the first reason doc cannot be written.
func check(doc Document) error {
	if len(doc.Pages) == 0 {
		return errors.New("document has no pages")
	}
	if doc.Language != "" && !validLanguage(doc.Language) {
		return fmt.Errorf("language %q is not an xsd:language tag", doc.Language)
	}
	for i, p := range doc.Pages {
		if p.Width <= 0 || p.Height <= 0 {
			return fmt.Errorf("page %d: size %dx%d is not positive", i+1, p.Width, p.Height)
		}
		if math.IsNaN(p.DPI) || math.IsInf(p.DPI, 0) || p.DPI < 0 {
			return fmt.Errorf("page %d: bad DPI %v", i+1, p.DPI)
		}
		for j, w := range p.Words {
			if math.IsNaN(w.Confidence) {
				return fmt.Errorf("page %d word %d: confidence is NaN", i+1, j+1)
			}
			if r := w.Box.Canon(); r.Min.X < 0 || r.Min.Y < 0 || r.Max.X > p.Width || r.Max.Y > p.Height {
				return fmt.Errorf("page %d word %d: box %v outside page %dx%d", i+1, j+1, w.Box, p.Width, p.Height)
			}
		}
	}
	return nil
}

// validLanguage reports whether s matches the xsd:language pattern
// [a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*.
func validLanguage(s string) bool {
	for i, part := range strings.Split(s, "-") {
		if len(part) < 1 || len(part) > 8 {
			return false
		}
		for _, c := range part {
			alpha := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
			if !alpha && (i == 0 || c < '0' || c > '9') {
				return false
			}
		}
	}
	return true
}

type xDescription struct {
	MeasurementUnit string         `xml:"MeasurementUnit"`
	Source          *xSource       `xml:"sourceImageInformation"`
	OCRProcessing   xOCRProcessing `xml:"OCRProcessing"`
}

type xTags struct {
	Other []xTag `xml:"OtherTag"`
}

type xTag struct {
	ID          string `xml:"ID,attr"`
	Label       string `xml:"LABEL,attr,omitempty"`
	Description string `xml:"DESCRIPTION,attr,omitempty"`
}

// hasJunk reports whether a word of doc is junk.
func hasJunk(doc Document) bool {
	for _, p := range doc.Pages {
		for _, w := range p.Words {
			if w.Junk {
				return true
			}
		}
	}
	return false
}

type xSource struct {
	FileName string `xml:"fileName"`
}

type xOCRProcessing struct {
	ID   string  `xml:"ID,attr"`
	OCR  xStep   `xml:"ocrProcessingStep"`
	Post []xStep `xml:"postProcessingStep"`
}

type xStep struct {
	Category    string     `xml:"processingCategory,omitempty"`
	Description string     `xml:"processingStepDescription,omitempty"`
	Settings    string     `xml:"processingStepSettings,omitempty"`
	Software    *xSoftware `xml:"processingSoftware"`
}

type xSoftware struct {
	Name string `xml:"softwareName"`
}

func description(doc Document) xDescription {
	d := xDescription{
		MeasurementUnit: measurementPix,
		OCRProcessing: xOCRProcessing{
			ID: "OCR1",
			OCR: xStep{
				Category:    "contentGeneration",
				Description: "optical character recognition",
				Settings:    settings(doc),
			},
		},
	}
	if doc.SourceName != "" {
		d.Source = &xSource{FileName: norm.NFC.String(doc.SourceName)}
	}
	if doc.OCREngine != "" {
		d.OCRProcessing.OCR.Software = &xSoftware{Name: norm.NFC.String(doc.OCREngine)}
	}
	if doc.Software != "" {
		d.OCRProcessing.Post = []xStep{{
			Category:    "other",
			Description: "ALTO XML export",
			Software:    &xSoftware{Name: norm.NFC.String(doc.Software)},
		}}
	}
	return d
}

// settings describes the language and the image resolution, e.g.
// "language=vi; dpi=300", or "dpi=300,200" when pages differ.
func settings(doc Document) string {
	var parts []string
	if doc.Language != "" {
		parts = append(parts, "language="+doc.Language)
	}
	dpis := make([]string, len(doc.Pages))
	same, known := true, false
	for i, p := range doc.Pages {
		dpis[i] = strconv.FormatFloat(p.DPI, 'f', -1, 64)
		same = same && p.DPI == doc.Pages[0].DPI
		known = known || p.DPI > 0
	}
	switch {
	case !known:
	case same:
		parts = append(parts, "dpi="+dpis[0])
	default:
		parts = append(parts, "dpi="+strings.Join(dpis, ","))
	}
	return strings.Join(parts, "; ")
}

// pos holds the position attributes shared by layout elements.
type pos struct {
	HPOS   int `xml:"HPOS,attr"`
	VPOS   int `xml:"VPOS,attr"`
	WIDTH  int `xml:"WIDTH,attr"`
	HEIGHT int `xml:"HEIGHT,attr"`
}

func posOf(r image.Rectangle) pos {
	return pos{HPOS: r.Min.X, VPOS: r.Min.Y, WIDTH: r.Dx(), HEIGHT: r.Dy()}
}

type xPage struct {
	ID         string      `xml:"ID,attr"`
	Number     int         `xml:"PHYSICAL_IMG_NR,attr"`
	Width      int         `xml:"WIDTH,attr"`
	Height     int         `xml:"HEIGHT,attr"`
	PrintSpace xPrintSpace `xml:"PrintSpace"`
}

type xPrintSpace struct {
	pos
	Blocks []xBlock `xml:"TextBlock"`
}

type xBlock struct {
	ID string `xml:"ID,attr"`
	pos
	Lang  string  `xml:"LANG,attr,omitempty"`
	Lines []xLine `xml:"TextLine"`
}

type xLine struct {
	ID string `xml:"ID,attr"`
	pos
	Items []any // xString and xSP, alternating
}

type xString struct {
	XMLName xml.Name `xml:"String"`
	ID      string   `xml:"ID,attr"`
	pos
	WC      string `xml:"WC,attr"`
	Content string `xml:"CONTENT,attr"`
	Tags    string `xml:"TAGREFS,attr,omitempty"`
}

type xSP struct {
	XMLName xml.Name `xml:"SP"`
	HPOS    int      `xml:"HPOS,attr"`
	VPOS    int      `xml:"VPOS,attr"`
	WIDTH   int      `xml:"WIDTH,attr"`
}

// page builds the Page element of page number n (1-based).
func page(n int, p Page, lang string) xPage {
	id := "P" + strconv.Itoa(n)
	var (
		blocks     []xBlock
		printed    image.Rectangle
		nb, nl, nw int
	)
	for _, lines := range group(p.Words) {
		nb++
		b := xBlock{ID: fmt.Sprintf("%s_B%d", id, nb), Lang: lang}
		var bb image.Rectangle
		for i, words := range lines {
			nl++
			lb := box(words)
			l := xLine{ID: fmt.Sprintf("%s_L%d", id, nl), pos: posOf(lb)}
			for j, w := range words {
				r := w.Box.Canon()
				if j > 0 {
					left := words[j-1].Box.Canon().Max.X
					l.Items = append(l.Items, xSP{HPOS: left, VPOS: lb.Min.Y, WIDTH: max(0, r.Min.X-left)})
				}
				nw++
				s := xString{
					ID:      fmt.Sprintf("%s_W%d", id, nw),
					pos:     posOf(r),
					WC:      wc(w.Confidence),
					Content: norm.NFC.String(w.Text),
				}
				if w.Junk {
					s.Tags = JunkTag
				}
				l.Items = append(l.Items, s)
			}
			if i == 0 {
				bb = lb
			} else {
				bb = bb.Union(lb)
			}
			b.Lines = append(b.Lines, l)
		}
		b.pos = posOf(bb)
		if len(blocks) == 0 {
			printed = bb
		} else {
			printed = printed.Union(bb)
		}
		blocks = append(blocks, b)
	}
	if len(blocks) == 0 {
		printed = image.Rect(0, 0, p.Width, p.Height)
	}
	return xPage{
		ID:         id,
		Number:     n,
		Width:      p.Width,
		Height:     p.Height,
		PrintSpace: xPrintSpace{pos: posOf(printed), Blocks: blocks},
	}
}

// group splits words into blocks of lines of words. A block is a run of
// consecutive words with the same Block and Paragraph, a line a run within
// it with the same Line. Words with only white space are dropped.
func group(words []Word) [][][]Word {
	var blocks [][][]Word
	var prev Word
	for _, w := range words {
		if strings.TrimSpace(w.Text) == "" {
			continue
		}
		switch {
		case len(blocks) == 0 || w.Block != prev.Block || w.Paragraph != prev.Paragraph:
			blocks = append(blocks, [][]Word{{w}})
		case w.Line != prev.Line:
			b := &blocks[len(blocks)-1]
			*b = append(*b, []Word{w})
		default:
			b := blocks[len(blocks)-1]
			b[len(b)-1] = append(b[len(b)-1], w)
		}
		prev = w
	}
	return blocks
}

// box returns the union of the boxes of words, which must not be empty.
// Empty boxes are ignored unless all of them are empty.
func box(words []Word) image.Rectangle {
	r := words[0].Box.Canon()
	for _, w := range words[1:] {
		r = r.Union(w.Box.Canon())
	}
	return r
}

// wc formats a 0..100 confidence as an ALTO word confidence in 0..1 with two
// decimal places.
func wc(conf float64) string {
	conf = min(max(conf, 0), 100)
	return strconv.FormatFloat(math.Round(conf)/100, 'f', 2, 64)
}
