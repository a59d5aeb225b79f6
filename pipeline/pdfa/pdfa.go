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
// The PDF objects are built on pdfcpu's object model (pdfcpu has no PDF/A
// support). They are serialized with pdfcpu.WriteIncrement over all objects in
// ascending order, after a header written here, rather than with
// pdfcpu.WriteContext, which stamps the wall-clock time into the Info
// dictionary and the trailer /ID, hard-codes a %PDF-1.7 header and orders
// objects by Go map iteration.
package pdfa

import (
	"bufio"
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

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
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
		docID = contentID(pages, meta)
	}
	dm, err := newDocMeta(meta, docID)
	if err != nil {
		return fmt.Errorf("write PDF/A: %w", err)
	}
	pctx, err := build(ctx, pages, dm, part)
	if err != nil {
		return fmt.Errorf("write PDF/A: %w", err)
	}
	if err := serialize(w, pctx); err != nil {
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
	if len(im.Data) == 0 {
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
func contentID(pages []Page, meta Metadata) string {
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
	for _, p := range pages {
		im := p.Image
		put(fmt.Sprintf("%d %d %d %d %v %g %g", im.Filter, im.Width, im.Height, im.BitsPerComponent, im.Gray, p.DPIX, p.DPIY))
		put(string(im.Data))
		for i, w := range p.Words {
			put(fmt.Sprintf("%s %v", w.Text, w.Box))
			if p.Lines != nil {
				put(fmt.Sprint(p.Lines[i]))
			}
		}
	}
	s := hex.EncodeToString(h.Sum(nil))
	return fmt.Sprintf("uuid:%s-%s-%s-%s-%s", s[0:8], s[8:12], s[12:16], s[16:20], s[20:32])
}

// builder adds objects to a pdfcpu cross-reference table.
type builder struct {
	xt *model.XRefTable
}

func (b *builder) add(o types.Object) (types.IndirectRef, error) {
	ir, err := b.xt.IndRefForNewObject(o)
	if err != nil {
		return types.IndirectRef{}, err
	}
	return *ir, nil
}

// stream adds a stream object with the given (already encoded) data; filter
// is "" for an unfiltered stream.
func (b *builder) stream(d types.Dict, data []byte, filter string) (types.IndirectRef, error) {
	if d == nil {
		d = types.NewDict()
	}
	n := int64(len(data))
	sd := types.StreamDict{Dict: d, Raw: data, StreamLength: &n}
	if filter != "" {
		sd.InsertName("Filter", filter)
		sd.FilterPipeline = []types.PDFFilter{{Name: filter}}
	}
	sd.Insert("Length", types.Integer(n))
	return b.add(sd)
}

// minFlateJPEGSaving is the share of a JPEG stream's bytes that Flate over it must save for
// the page image to be stored that way.
const minFlateJPEGSaving = 0.01

// jpegStream adds a JPEG image stream. When zlib compresses the JPEG data by at least
// minFlateJPEGSaving (entropy coding with the standard Huffman tables leaves runs, above all
// on sparse pages), the stream is stored as [/FlateDecode /DCTDecode]: the same JPEG, so the
// same pixels, in fewer bytes. Both filters are allowed by PDF/A-1 and PDF/A-2.
func (b *builder) jpegStream(d types.Dict, data []byte) (types.IndirectRef, error) {
	z, err := deflate(data)
	if err != nil {
		return types.IndirectRef{}, err
	}
	if float64(len(z)) > float64(len(data))*(1-minFlateJPEGSaving) {
		return b.stream(d, data, "DCTDecode")
	}
	n := int64(len(z))
	sd := types.StreamDict{Dict: d, Raw: z, StreamLength: &n}
	sd.Insert("Filter", types.Array{types.Name("FlateDecode"), types.Name("DCTDecode")})
	sd.FilterPipeline = []types.PDFFilter{{Name: "FlateDecode"}, {Name: "DCTDecode"}}
	sd.Insert("Length", types.Integer(n))
	return b.add(sd)
}

// flateStream compresses data and adds it as a stream.
func (b *builder) flateStream(d types.Dict, data []byte) (types.IndirectRef, error) {
	z, err := deflate(data)
	if err != nil {
		return types.IndirectRef{}, err
	}
	return b.stream(d, z, "FlateDecode")
}

func hexString(s string) types.HexLiteral { return types.HexLiteral(s) }

// build creates the pdfcpu context holding the whole document.
func build(ctx context.Context, pages []Page, dm docMeta, part Part) (*model.Context, error) {
	xt, err := pdfcpu.CreateXRefTableWithRootDict()
	if err != nil {
		return nil, fmt.Errorf("create document: %w", err)
	}
	conf := &model.Configuration{
		Eol:               types.EolLF,
		ValidationMode:    model.ValidationRelaxed,
		WriteObjectStream: false,
		WriteXRefStream:   false,
	}
	pctx := pdfcpu.CreateContext(xt, conf)
	b := &builder{xt: xt}
	catalog, err := xt.Catalog()
	if err != nil {
		return nil, fmt.Errorf("create document: %w", err)
	}

	// Document information dictionary, XMP and output intent.
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
	infoRef, err := b.add(info)
	if err != nil {
		return nil, err
	}
	xt.Info = &infoRef
	id := sha256.Sum256([]byte(dm.documentID))
	idHex := types.HexLiteral(strings.ToUpper(hex.EncodeToString(id[:16])))
	xt.ID = types.Array{idHex, idHex}

	partNum := "2"
	if part == PDFA1B {
		partNum = "1"
	}
	xmpRef, err := b.stream(types.Dict{"Type": types.Name("Metadata"), "Subtype": types.Name("XML")}, dm.xmpPacket(partNum), "")
	if err != nil {
		return nil, err
	}
	iccRef, err := b.flateStream(types.Dict{"N": types.Integer(3)}, srgbICC())
	if err != nil {
		return nil, err
	}
	intent := types.Dict{
		"Type":                      types.Name("OutputIntent"),
		"S":                         types.Name("GTS_PDFA1"),
		"OutputConditionIdentifier": types.StringLiteral("sRGB IEC61966-2.1"),
		"Info":                      types.StringLiteral("sRGB IEC61966-2.1"),
		"RegistryName":              types.StringLiteral("http://www.color.org"),
		"DestOutputProfile":         iccRef,
	}
	pagesDict := types.Dict{"Type": types.Name("Pages")}
	pagesRef, err := b.add(pagesDict)
	if err != nil {
		return nil, err
	}
	catalog.Insert("Pages", pagesRef)
	catalog.Insert("Metadata", xmpRef)
	catalog.Insert("OutputIntents", types.Array{intent})
	catalog.Insert("Lang", hexString(pdfTextString(dm.language)))

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
	var fontRef types.IndirectRef
	if len(used) > 0 {
		if fontRef, err = b.font(used); err != nil {
			return nil, fmt.Errorf("font: %w", err)
		}
	}
	kids := types.Array{}
	for i := range pages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ref, err := b.page(&pages[i], lines[i], pagesRef, fontRef)
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", i+1, err)
		}
		kids = append(kids, ref)
	}
	pagesDict.Insert("Kids", kids)
	pagesDict.Insert("Count", types.Integer(len(kids)))
	xt.PageCount = len(kids)
	return pctx, nil
}

// page adds one page with its image and text layer.
func (b *builder) page(p *Page, lines [][]textWord, parent, font types.IndirectRef) (types.IndirectRef, error) {
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
	var imgRef types.IndirectRef
	var err error
	switch {
	case im.Filter == Flate:
		imgRef, err = b.stream(imgDict, im.Data, "FlateDecode")
	default:
		imgRef, err = b.jpegStream(imgDict, im.Data)
	}
	if err != nil {
		return types.IndirectRef{}, err
	}

	w, h := pageSize(p)
	var c bytes.Buffer
	iw, ih, iy := imagePlacement(w, h)
	fmt.Fprintf(&c, "q\n%s 0 0 %s 0 %s cm\n/Im0 Do\nQ\n", fineNum(iw), fineNum(ih), fineNum(iy))
	writeText(&c, lines, w/float64(im.Width), h/float64(im.Height), h)
	contentRef, err := b.flateStream(nil, c.Bytes())
	if err != nil {
		return types.IndirectRef{}, err
	}

	res := types.Dict{"XObject": types.Dict{"Im0": imgRef}}
	if len(lines) > 0 {
		res.Insert("Font", types.Dict{"F0": font})
	}
	return b.add(types.Dict{
		"Type":      types.Name("Page"),
		"Parent":    parent,
		"MediaBox":  types.Array{types.Integer(0), types.Integer(0), types.Float(w), types.Float(h)},
		"Resources": res,
		"Contents":  contentRef,
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

// font adds the Type0 GlyphLessFont whose ToUnicode CMap maps the used CIDs.
func (b *builder) font(used map[uint16]bool) (types.IndirectRef, error) {
	file, err := b.flateStream(types.Dict{"Length1": types.Integer(len(glyphLessFont))}, glyphLessFont)
	if err != nil {
		return types.IndirectRef{}, err
	}
	desc, err := b.add(types.Dict{
		"Type":        types.Name("FontDescriptor"),
		"FontName":    types.Name("GlyphLessFont"),
		"Flags":       types.Integer(5), // fixed pitch, symbolic
		"FontBBox":    types.Array{types.Integer(0), types.Integer(0), types.Integer(glyphWidth), types.Integer(1000)},
		"ItalicAngle": types.Integer(0),
		"Ascent":      types.Integer(1000),
		"Descent":     types.Integer(-1),
		"CapHeight":   types.Integer(1000),
		"StemV":       types.Integer(80),
		"FontFile2":   file,
	})
	if err != nil {
		return types.IndirectRef{}, err
	}
	gidMap, err := cidToGIDMap()
	if err != nil {
		return types.IndirectRef{}, err
	}
	gidRef, err := b.stream(nil, gidMap, "FlateDecode")
	if err != nil {
		return types.IndirectRef{}, err
	}
	cidFont, err := b.add(types.Dict{
		"Type":     types.Name("Font"),
		"Subtype":  types.Name("CIDFontType2"),
		"BaseFont": types.Name("GlyphLessFont"),
		"CIDSystemInfo": types.Dict{
			"Registry":   types.StringLiteral("Adobe"),
			"Ordering":   types.StringLiteral("Identity"),
			"Supplement": types.Integer(0),
		},
		"FontDescriptor": desc,
		"DW":             types.Integer(glyphWidth),
		"W":              types.Array{types.Integer(0), types.Integer(65535), types.Integer(glyphWidth)},
		"CIDToGIDMap":    gidRef,
	})
	if err != nil {
		return types.IndirectRef{}, err
	}
	toUni, err := b.flateStream(nil, toUnicodeCMap(used))
	if err != nil {
		return types.IndirectRef{}, err
	}
	return b.add(types.Dict{
		"Type":            types.Name("Font"),
		"Subtype":         types.Name("Type0"),
		"BaseFont":        types.Name("GlyphLessFont"),
		"Encoding":        types.Name("Identity-H"),
		"DescendantFonts": types.Array{cidFont},
		"ToUnicode":       toUni,
	})
}

// serialize writes the document with pdfcpu's object and cross-reference
// table writer.
//
// pdfcpu.WriteContext cannot produce a conformant, deterministic file: it
// always stamps the wall-clock time into the Info dictionary's CreationDate
// and ModDate and its own name into Producer (breaking the agreement with
// XMP), derives the second trailer /ID from the wall-clock time, hard-codes
// a %PDF-1.7 header, and walks the object graph through Go maps, so the object
// order (and every offset) changes from run to run. pdfcpu.WriteIncrement
// serializes exactly the objects listed in Write.ObjNrs, in that order,
// followed by a classic cross-reference table (no streams when
// WriteXRefStream is off) and a trailer with /Size, /Root, /Info and /ID; it
// adds /Prev only when Write.Increment is set, which it is not here. So the
// header is written here, then all objects in ascending number order through
// WriteIncrement: no byte of pdfcpu's output is patched afterwards.
func serialize(w io.Writer, pctx *model.Context) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	pctx.Write = model.NewWriteContext(types.EolLF)
	pctx.Write.Writer = bw
	if _, err := bw.WriteString(header); err != nil {
		return err
	}
	pctx.Write.Offset = int64(len(header))
	for n := 1; n < *pctx.Size; n++ {
		if e, ok := pctx.Find(n); ok && !e.Free {
			pctx.Write.ObjNrs = append(pctx.Write.ObjNrs, n)
		}
	}
	if err := pdfcpu.WriteIncrement(pctx); err != nil {
		return fmt.Errorf("serialize: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("serialize: %w", err)
	}
	return nil
}
