// Package pdfa writes searchable PDF/A documents: scanned page images with an invisible text layer.
//
// One writer produces PDF/A-2b (the default) or PDF/A-1b files: a %PDF-1.4
// file with a classic cross-reference table, no object or cross-reference
// streams, no encryption, LZW, transparency or JavaScript; an sRGB output
// intent; XMP metadata agreeing with the Info dictionary; and an embedded
// Type0 font (Tesseract's one-glyph GlyphLessFont, Identity-H, with a
// ToUnicode CMap) so that the invisible text extracts as the exact
// Vietnamese words.
//
// The PDF objects are pdfcpu's types (pdfcpu has no PDF/A support), written
// one after another in ascending number order by a small object writer
// (objwriter.go) that records their offsets for the cross-reference table:
// pdfcpu's own writers serialize a model.Context that holds every object,
// page images included, so a document would be in memory whole, and
// pdfcpu.WriteContext stamps the wall-clock time into the Info dictionary
// and the trailer /ID, hard-codes a %PDF-1.7 header and orders objects by Go
// map iteration. A page's image may come from a spill file (Page.Spilled,
// Spool) rather than memory: memory for writing stays the same whatever the
// number of pages.
package pdfa

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Part is the PDF/A part and conformance level.
type Part string

const (
	// PDFA2B is PDF/A-2b (ISO 19005-2, level B), the default.
	PDFA2B Part = "2b"
	// PDFA1B is PDF/A-1b (ISO 19005-1, level B).
	PDFA1B Part = "1b"
)

// Options chooses the PDF/A part.
type Options struct {
	Part Part // zero value = PDFA2B
}

// Page is one page: its image, its resolution and its words in reading order.
type Page struct {
	Image      Image
	DPIX, DPIY float64 // the page's physical size is Width/DPIX by Height/DPIY inches
	Words      []Word
	Lines      []int // optional: Lines[i] is the line number of Words[i] (same length as Words), for text reconstruction order
	// Spilled, when set, holds the encoded image (Image.Data's bytes, which are
	// then empty), in a spill file (see Spool); it is read when the page is written.
	Spilled *io.SectionReader
}

// maxPageSize is the largest page side in points (PDF 1.4 and PDF/A-1 limit: 200 inches).
const maxPageSize = 14400

// header is the file header: version 1.4 and a comment of four bytes above
// 127, which marks the file as binary (ISO 19005-1, 6.1.2).
const header = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n"

// Write writes the document. Same inputs -> byte-identical output (deterministic: no wall-clock time, no random IDs).
//
// If meta.DocumentID is empty, a "uuid:" identifier is derived from a hash of
// the pages and metadata. The trailer /ID is the first 16 bytes of the SHA-256
// of the DocumentID, twice.
func Write(ctx context.Context, w io.Writer, pages []Page, meta Metadata, opts Options) error {
	part := opts.Part
	if part == "" {
		part = PDFA2B
	}
	if part != PDFA2B && part != PDFA1B {
		return fmt.Errorf("write PDF/A: unknown part %q", opts.Part)
	}
	if len(pages) == 0 {
		return errors.New("write PDF/A: no pages")
	}
	for i := range pages {
		if err := checkPage(&pages[i]); err != nil {
			return fmt.Errorf("write PDF/A: page %d: %w", i+1, err)
		}
	}
	docID := meta.DocumentID
	if strings.TrimSpace(docID) == "" {
		var err error
		if docID, err = contentID(pages, meta); err != nil {
			return fmt.Errorf("write PDF/A: %w", err)
		}
	}
	dm, err := newDocMeta(meta, docID)
	if err != nil {
		return fmt.Errorf("write PDF/A: %w", err)
	}
	if err := writeDocument(ctx, w, pages, dm, part); err != nil {
		return fmt.Errorf("write PDF/A: %w", err)
	}
	return nil
}

// checkPage validates a page's image and geometry.
func checkPage(p *Page) error {
	im := &p.Image
	if im.Width <= 0 || im.Height <= 0 {
		return fmt.Errorf("bad image size %dx%d", im.Width, im.Height)
	}
	switch {
	case p.Spilled != nil && len(im.Data) > 0:
		return errors.New("image data both in memory and spilled")
	case p.Spilled != nil && p.Spilled.Size() == 0, p.Spilled == nil && len(im.Data) == 0:
		return errors.New("no image data")
	}
	switch {
	case im.Filter == DCT && im.BitsPerComponent == 8:
	case im.Filter == Flate && im.BitsPerComponent == 8:
	case im.Filter == Flate && im.BitsPerComponent == 1 && im.Gray:
	default:
		return fmt.Errorf("unsupported image encoding %v, %d bits, gray=%v", im.Filter, im.BitsPerComponent, im.Gray)
	}
	for _, d := range []float64{p.DPIX, p.DPIY} {
		if !(d > 0) || math.IsInf(d, 0) {
			return fmt.Errorf("bad resolution %gx%g dpi", p.DPIX, p.DPIY)
		}
	}
	w, h := pageSize(p)
	if w < 3 || h < 3 || w > maxPageSize || h > maxPageSize {
		return fmt.Errorf("page size %.1fx%.1f pt outside 3..%d pt", w, h, maxPageSize)
	}
	if p.Lines != nil && len(p.Lines) != len(p.Words) {
		return fmt.Errorf("%d line numbers for %d words", len(p.Lines), len(p.Words))
	}
	return nil
}

// pageSize returns the page's size in points: pixels / dpi * 72, to 1/1000 pt.
func pageSize(p *Page) (w, h float64) {
	round := func(v float64) float64 { return math.Round(v*1000) / 1000 }
	return round(float64(p.Image.Width) / p.DPIX * 72), round(float64(p.Image.Height) / p.DPIY * 72)
}

// contentID derives a stable document identifier from the pages and metadata.
func contentID(pages []Page, meta Metadata) (string, error) {
	h := sha256.New()
	put := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		io.WriteString(h, s)
	}
	put(meta.Title)
	put(meta.Creator)
	put(meta.Language)
	put(meta.Identifier)
	put(meta.Date.String())
	put(meta.Producer)
	for i := range pages {
		p := &pages[i]
		im := p.Image
		put(fmt.Sprintf("%d %d %d %d %v %g %g", im.Filter, im.Width, im.Height, im.BitsPerComponent, im.Gray, p.DPIX, p.DPIY))
		data, err := p.imageData()
		if err != nil {
			return "", fmt.Errorf("page %d: %w", i+1, err)
		}
		put(string(data))
		for i, w := range p.Words {
			put(fmt.Sprintf("%s %v", w.Text, w.Box))
			if p.Lines != nil {
				put(fmt.Sprint(p.Lines[i]))
			}
		}
	}
	s := hex.EncodeToString(h.Sum(nil))
	return fmt.Sprintf("uuid:%s-%s-%s-%s-%s", s[0:8], s[8:12], s[12:16], s[16:20], s[20:32]), nil
}

// minFlateJPEGSaving is the share of a JPEG stream's bytes that Flate over it must save for
// the page image to be stored that way.
const minFlateJPEGSaving = 0.01

func hexString(s string) types.HexLiteral { return types.HexLiteral(s) }

func ref(n int) types.IndirectRef { return *types.NewIndirectRef(n, 0) }

// Object numbers. They follow from the document's shape (whether it has a
// text layer, how many pages), so every reference is known before the object
// it names is written, and objects are written in ascending order.
const (
	catalogObj = 1
	infoObj    = 2
	xmpObj     = 3
	iccObj     = 4
	pagesObj   = 5
	fontObj    = 6 // the font's six objects: file, descriptor, CIDToGIDMap, CIDFont, ToUnicode, Type0 font
	fontObjs   = 6
)

// objsPerPage: each page is its image, its content stream and its page dictionary.
const objsPerPage = 3

// writeDocument writes the whole document through an objWriter, one page at
// a time: a page's image is read (from memory or its spill file), written
// and let go before the next, so the memory needed does not grow with the
// number of pages.
func writeDocument(ctx context.Context, w io.Writer, pages []Page, dm docMeta, part Part) error {
	// The text layer of every page is laid out first: the font's ToUnicode
	// CMap lists the CIDs that the pages use.
	lines := make([][][]textWord, len(pages))
	used := map[uint16]bool{}
	for i := range pages {
		im := &pages[i].Image
		lines[i] = textLines(pages[i].Words, pages[i].Lines, image.Rect(0, 0, im.Width, im.Height))
		for _, line := range lines[i] {
			for _, w := range line {
				for _, c := range w.cids {
					used[c] = true
				}
			}
			if len(line) > 1 {
				used[' '] = true
			}
		}
	}
	firstPage := fontObj
	if len(used) > 0 {
		firstPage += fontObjs
	}
	o := newObjWriter(w)

	partNum := "2"
	if part == PDFA1B {
		partNum = "1"
	}
	intent := types.Dict{
		"Type":                      types.Name("OutputIntent"),
		"S":                         types.Name("GTS_PDFA1"),
		"OutputConditionIdentifier": types.StringLiteral("sRGB IEC61966-2.1"),
		"Info":                      types.StringLiteral("sRGB IEC61966-2.1"),
		"RegistryName":              types.StringLiteral("http://www.color.org"),
		"DestOutputProfile":         ref(iccObj),
	}
	if err := o.object(catalogObj, types.Dict{
		"Type":          types.Name("Catalog"),
		"Pages":         ref(pagesObj),
		"Metadata":      ref(xmpObj),
		"OutputIntents": types.Array{intent},
		"Lang":          hexString(pdfTextString(dm.language)),
	}); err != nil {
		return err
	}

	// Document information dictionary, XMP and output intent profile.
	info := types.NewDict()
	if dm.title != "" {
		info.Insert("Title", hexString(pdfTextString(dm.title)))
	}
	if dm.creator != "" {
		info.Insert("Author", hexString(pdfTextString(dm.creator)))
	}
	if dm.producer != "" {
		info.Insert("Producer", hexString(pdfTextString(dm.producer)))
		info.Insert("Creator", hexString(pdfTextString(dm.producer)))
	}
	if !dm.date.IsZero() {
		info.Insert("CreationDate", types.StringLiteral(pdfDate(dm.date)))
		info.Insert("ModDate", types.StringLiteral(pdfDate(dm.date)))
	}
	if err := o.object(infoObj, info); err != nil {
		return err
	}
	if err := o.stream(xmpObj, types.Dict{"Type": types.Name("Metadata"), "Subtype": types.Name("XML")}, dm.xmpPacket(partNum)); err != nil {
		return err
	}
	if err := o.flateStream(iccObj, types.Dict{"N": types.Integer(3)}, srgbICC()); err != nil {
		return err
	}
	kids := make(types.Array, len(pages))
	for i := range pages {
		kids[i] = ref(firstPage + objsPerPage*i + 2)
	}
	if err := o.object(pagesObj, types.Dict{"Type": types.Name("Pages"), "Kids": kids, "Count": types.Integer(len(pages))}); err != nil {
		return err
	}
	var font types.IndirectRef
	if len(used) > 0 {
		if err := o.font(used); err != nil {
			return fmt.Errorf("font: %w", err)
		}
		font = ref(fontObj + fontObjs - 1)
	}
	for i := range pages {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := o.page(firstPage+objsPerPage*i, &pages[i], lines[i], font); err != nil {
			return fmt.Errorf("page %d: %w", i+1, err)
		}
	}
	id := sha256.Sum256([]byte(dm.documentID))
	idHex := types.HexLiteral(strings.ToUpper(hex.EncodeToString(id[:16])))
	return o.finish(types.Dict{"Root": ref(catalogObj), "Info": ref(infoObj), "ID": types.Array{idHex, idHex}})
}

// flateStream compresses data and writes it as stream n.
func (o *objWriter) flateStream(n int, d types.Dict, data []byte) error {
	z, err := deflate(data)
	if err != nil {
		return err
	}
	return o.stream(n, d, z, "FlateDecode")
}

// jpegStream writes a JPEG image as stream n. When zlib compresses the JPEG data by at least
// minFlateJPEGSaving (entropy coding with the standard Huffman tables leaves runs, above all
// on sparse pages), the stream is stored as [/FlateDecode /DCTDecode]: the same JPEG, so the
// same pixels, in fewer bytes. Both filters are allowed by PDF/A-1 and PDF/A-2.
func (o *objWriter) jpegStream(n int, d types.Dict, data []byte) error {
	z, err := deflate(data)
	if err != nil {
		return err
	}
	if float64(len(z)) > float64(len(data))*(1-minFlateJPEGSaving) {
		return o.stream(n, d, data, "DCTDecode")
	}
	return o.stream(n, d, z, "FlateDecode", "DCTDecode")
}

// imageData returns the page's encoded image: Image.Data, or the bytes read
// back from its spill file.
func (p *Page) imageData() ([]byte, error) {
	if p.Spilled == nil {
		return p.Image.Data, nil
	}
	b := make([]byte, p.Spilled.Size())
	if _, err := io.ReadFull(io.NewSectionReader(p.Spilled, 0, p.Spilled.Size()), b); err != nil {
		return nil, fmt.Errorf("read spilled image: %w", err)
	}
	return b, nil
}

// page writes one page as objects n (image), n+1 (content) and n+2 (page).
func (o *objWriter) page(n int, p *Page, lines [][]textWord, font types.IndirectRef) error {
	im := p.Image
	cs := "DeviceRGB"
	if im.Gray {
		cs = "DeviceGray"
	}
	imgDict := types.Dict{
		"Type":             types.Name("XObject"),
		"Subtype":          types.Name("Image"),
		"Width":            types.Integer(im.Width),
		"Height":           types.Integer(im.Height),
		"ColorSpace":       types.Name(cs),
		"BitsPerComponent": types.Integer(im.BitsPerComponent),
	}
	data, err := p.imageData()
	if err != nil {
		return err
	}
	switch {
	case im.Filter == Flate:
		err = o.stream(n, imgDict, data, "FlateDecode")
	default:
		err = o.jpegStream(n, imgDict, data)
	}
	if err != nil {
		return err
	}

	w, h := pageSize(p)
	var c bytes.Buffer
	iw, ih, iy := imagePlacement(w, h)
	fmt.Fprintf(&c, "q\n%s 0 0 %s 0 %s cm\n/Im0 Do\nQ\n", fineNum(iw), fineNum(ih), fineNum(iy))
	writeText(&c, lines, w/float64(im.Width), h/float64(im.Height), h)
	if err := o.flateStream(n+1, nil, c.Bytes()); err != nil {
		return err
	}

	res := types.Dict{"XObject": types.Dict{"Im0": ref(n)}}
	if len(lines) > 0 {
		res.Insert("Font", types.Dict{"F0": font})
	}
	return o.object(n+2, types.Dict{
		"Type":      types.Name("Page"),
		"Parent":    ref(pagesObj),
		"MediaBox":  types.Array{types.Integer(0), types.Integer(0), types.Float(w), types.Float(h)},
		"Resources": res,
		"Contents":  ref(n + 1),
	})
}

// Insets of the page image from the page edges, in points; see imagePlacement.
const (
	imageInset    = 0.002   // right and bottom: more than the 0.0005 pt rounding of the page size
	imageInsetTop = 0.00001 // top: more than floating-point noise, far less than 1/256 pixel
)

// imagePlacement returns the width, height and bottom offset, in points, at
// which the image is drawn on a page of w by h points.
//
// The image is drawn a hair inside the page's right, bottom and top edges
// rather than exactly over the page, so that poppler's Splash renderer
// (pdftoppm, and the viewers built on it) maps the image 1:1 onto the pixel
// grid when the page is rendered at the scan's resolution. Splash takes an
// image edge at device coordinate x to cover pixels floor(x0) to floor(x1),
// inclusive: an image exactly W pixels wide from 0 to W is resampled to W+1
// pixels, which blurs and shifts every pixel by up to one (PSNR 12 dB on
// noise, about 30 dB on scans). Drawn to W minus 0.002 pt it covers exactly
// W pixels and is copied unchanged. The top edge is kept 0.00001 pt below
// the page top so that rounding in the renderer's transform never moves it
// above pixel row 0. The insets are 0.00003 mm and less: cairo (pdftocairo)
// still renders the sample scans within one grey level of the source.
func imagePlacement(w, h float64) (iw, ih, iy float64) {
	return w - imageInset, h - imageInset - imageInsetTop, imageInset
}

// fineNum formats a number for a content stream to 1/1000000.
func fineNum(v float64) string {
	v = math.Round(v*1e6) / 1e6
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// font writes the Type0 GlyphLessFont, whose ToUnicode CMap maps the used
// CIDs, as objects fontObj to fontObj+5 (the Type0 font last).
func (o *objWriter) font(used map[uint16]bool) error {
	n := fontObj
	if err := o.flateStream(n, types.Dict{"Length1": types.Integer(len(glyphLessFont))}, glyphLessFont); err != nil {
		return err
	}
	if err := o.object(n+1, types.Dict{
		"Type":        types.Name("FontDescriptor"),
		"FontName":    types.Name("GlyphLessFont"),
		"Flags":       types.Integer(5), // fixed pitch, symbolic
		"FontBBox":    types.Array{types.Integer(0), types.Integer(0), types.Integer(glyphWidth), types.Integer(1000)},
		"ItalicAngle": types.Integer(0),
		"Ascent":      types.Integer(1000),
		"Descent":     types.Integer(-1),
		"CapHeight":   types.Integer(1000),
		"StemV":       types.Integer(80),
		"FontFile2":   ref(n),
	}); err != nil {
		return err
	}
	gidMap, err := cidToGIDMap()
	if err != nil {
		return err
	}
	if err := o.stream(n+2, nil, gidMap, "FlateDecode"); err != nil {
		return err
	}
	if err := o.object(n+3, types.Dict{
		"Type":     types.Name("Font"),
		"Subtype":  types.Name("CIDFontType2"),
		"BaseFont": types.Name("GlyphLessFont"),
		"CIDSystemInfo": types.Dict{
			"Registry":   types.StringLiteral("Adobe"),
			"Ordering":   types.StringLiteral("Identity"),
			"Supplement": types.Integer(0),
		},
		"FontDescriptor": ref(n + 1),
		"DW":             types.Integer(glyphWidth),
		"W":              types.Array{types.Integer(0), types.Integer(65535), types.Integer(glyphWidth)},
		"CIDToGIDMap":    ref(n + 2),
	}); err != nil {
		return err
	}
	if err := o.flateStream(n+4, nil, toUnicodeCMap(used)); err != nil {
		return err
	}
	return o.object(n+5, types.Dict{
		"Type":            types.Name("Font"),
		"Subtype":         types.Name("Type0"),
		"BaseFont":        types.Name("GlyphLessFont"),
		"Encoding":        types.Name("Identity-H"),
		"DescendantFonts": types.Array{ref(n + 3)},
		"ToUnicode":       ref(n + 4),
	})
}
