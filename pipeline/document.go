package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/alto"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
)

// DocumentOptions controls BuildDocument and WriteALTO.
type DocumentOptions struct {
	PDF       pdfa.Options
	Producer  string    // e.g. "sohoa 0.1.0"
	Date      time.Time // the creation date written into the PDF
	OCREngine string    // e.g. "Tesseract 5.3.0 (vie)", recorded in ALTO
	// Signer, when set, signs every PDF once its PDF/A is final; a document
	// whose PDF cannot be signed fails (nothing unsigned is called done).
	Signer PDFSigner
	// Isolated allows documents whose pages carry a secrecy mark; set only on an
	// isolated installation.
	Isolated bool
}

// PDFSigner signs a finished PDF/A as an incremental update, for the
// organisation org (shown in the visible signature); pades.Signer is one.
// SignPDF signs a PDF in memory; SignPDFFile signs the PDF in f (open for
// reading and writing) in place, appending the update, with memory that does
// not grow with the file's size; both give the same bytes.
type PDFSigner interface {
	SignPDF(ctx context.Context, pdf []byte, org string) ([]byte, error)
	SignPDFFile(ctx context.Context, f *os.File, org string) error
}

// SignError is a document whose PDF could not be signed.
type SignError struct{ Err error }

func (e *SignError) Error() string { return e.Err.Error() }

// Unwrap returns the signer's error.
func (e *SignError) Unwrap() error { return e.Err }

// Digitization record written into every PDF's XMP (Luật Giao dịch điện tử
// 2023 Art. 12: a file converted from paper says so, and by whom).
const (
	XMPConvertedFrom = "convertedFrom" // sohoa:convertedFrom = ConvertedFromPaper
	XMPConvertedBy   = "convertedBy"   // sohoa:convertedBy = the digitizing organisation
	// ConvertedFromPaper is the value of sohoa:convertedFrom.
	ConvertedFromPaper = "Số hóa từ tài liệu giấy"
)

// PDFName returns the file name of a document's PDF: <mã hồ sơ>.<số thứ tự>.pdf (TT 05/2025).
func PDFName(fileCode string, ordinal int) string {
	return fmt.Sprintf("%s.%d.pdf", fileCode, ordinal)
}

// TextName returns the file name of a document's plain text: <mã hồ sơ>.<số thứ tự>.txt.
func TextName(fileCode string, ordinal int) string {
	return fmt.Sprintf("%s.%d.txt", fileCode, ordinal)
}

// ALTOName returns the file name of a document's ALTO XML: <mã hồ sơ>.<số thứ tự>.alto.xml.
func ALTOName(fileCode string, ordinal int) string {
	return fmt.Sprintf("%s.%d.alto.xml", fileCode, ordinal)
}

// WriteALTO writes a document's OCR as ALTO XML v4, word boxes in the pixels of
// the normalized page images embedded in its PDF.
func WriteALTO(w io.Writer, f *File, d *Document, pages []*PageResult, opts DocumentOptions) error {
	doc := alto.Document{
		SourceName: PDFName(f.Meta.FileCode, d.Meta.DocOrdinal),
		Software:   opts.Producer,
		OCREngine:  opts.OCREngine,
		Language:   "vi",
	}
	for _, p := range pages {
		ap := alto.Page{Width: p.Width, Height: p.Height, DPI: p.Page.DPI}
		for _, wd := range p.OCR.Words {
			ap.Words = append(ap.Words, alto.Word{Text: wd.Text, Box: wd.Box, Confidence: wd.Confidence,
				Block: wd.Block, Paragraph: wd.Paragraph, Line: wd.Line, Junk: wd.Junk})
		}
		doc.Pages = append(doc.Pages, ap)
	}
	if err := alto.Write(w, doc); err != nil {
		return fmt.Errorf("%s: alto: %w", d.Source, err)
	}
	return nil
}

// DocumentText returns the plain text of a document's pages, pages separated by a form feed.
func DocumentText(pages []*PageResult) string {
	parts := make([]string, len(pages))
	for i, p := range pages {
		parts[i] = p.OCR.Text()
	}
	return strings.Join(parts, "\n\f") + "\n"
}

// DocumentID returns a stable identifier of a document's digitized copy,
// derived from its code and the SHA-256 of its original pages, so that
// processing the same scans again yields the same identifier.
func DocumentID(docCode string, pages []*PageResult) string {
	h := sha256.New()
	io.WriteString(h, docCode)
	for _, p := range pages {
		fmt.Fprintf(h, "\x00%s:%d", p.Original.SHA256, p.Page.FilePage)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	return fmt.Sprintf("uuid:%s-%s-%s-%s-%s", sum[0:8], sum[8:12], sum[12:16], sum[16:20], sum[20:32])
}

// BuildDocument writes a document's searchable PDF/A to w from its processed
// pages, signed when opts.Signer is set. When w is an empty *os.File open for
// reading and writing (MakeDocumentFile's), the PDF is written to it and
// signed in place; otherwise it is signed in memory.
func BuildDocument(ctx context.Context, w io.Writer, b *Batch, f *File, d *Document, pages []*PageResult, opts DocumentOptions) error {
	ps := make([]pdfa.Page, len(pages))
	for i, p := range pages {
		ps[i] = pdfPage(p)
	}
	title := d.Meta.Subject
	if title == "" {
		title = f.Meta.Title
	}
	if title == "" {
		title = d.Meta.DocCode
	}
	creator := d.Meta.OrganName
	if creator == "" {
		creator = b.Organisation.Name
	}
	meta := pdfa.Metadata{
		Title:      title,
		Creator:    creator,
		Language:   "vi",
		Identifier: d.Meta.DocCode,
		Date:       opts.Date,
		Producer:   opts.Producer,
		DocumentID: DocumentID(d.Meta.DocCode, pages),
		Archive:    archiveFields(f, d),
	}
	meta.Archive[XMPConvertedFrom] = ConvertedFromPaper
	if b.Organisation.Name != "" {
		meta.Archive[XMPConvertedBy] = b.Organisation.Name
	}
	if opts.Signer == nil {
		if err := pdfa.Write(ctx, w, ps, meta, opts.PDF); err != nil {
			return fmt.Errorf("%s: %s: %w", d.Source, StagePDF, err)
		}
		return nil
	}
	if fh, ok := w.(*os.File); ok {
		if err := pdfa.Write(ctx, fh, ps, meta, opts.PDF); err != nil {
			return fmt.Errorf("%s: %s: %w", d.Source, StagePDF, err)
		}
		if err := opts.Signer.SignPDFFile(ctx, fh, b.Organisation.Name); err != nil {
			return fmt.Errorf("%s: %s: %w", d.Source, StageSign, &SignError{err})
		}
		return nil
	}
	var buf bytes.Buffer
	if err := pdfa.Write(ctx, &buf, ps, meta, opts.PDF); err != nil {
		return fmt.Errorf("%s: %s: %w", d.Source, StagePDF, err)
	}
	signed, err := opts.Signer.SignPDF(ctx, buf.Bytes(), b.Organisation.Name)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", d.Source, StageSign, &SignError{err})
	}
	if _, err := w.Write(signed); err != nil {
		return fmt.Errorf("%s: %s: %w", d.Source, StagePDF, err)
	}
	return nil
}

// archiveFields are the TT 05 fields that travel inside the PDF's XMP.
func archiveFields(f *File, d *Document) map[string]string {
	m := map[string]string{
		"fileCode":        f.Meta.FileCode,
		"docOrdinal":      fmt.Sprint(d.Meta.DocOrdinal),
		"docCode":         d.Meta.DocCode,
		"codeNumber":      d.Meta.CodeNumber,
		"codeNotation":    d.Meta.CodeNotation,
		"typeName":        d.Meta.TypeName,
		"issuedDate":      d.Meta.IssuedDate,
		"maintenance":     f.Meta.Maintenance,
		"mode":            d.Meta.Mode,
		"confidenceLevel": d.Meta.ConfidenceLevel,
		"paperFileCode":   f.Meta.PaperFileCode,
	}
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
	}
	return m
}

// pdfPage is a processed page as the PDF writer takes it: its image and the words of its
// text layer, in reading order, junk left out (it is kept in ALTO only), so that the text
// layer reads like the .txt file.
func pdfPage(p *PageResult) pdfa.Page {
	// Scanners record square pixels; the page's resolution is used for both axes.
	pp := pdfa.Page{Image: p.Image, Spilled: p.Spilled, DPIX: p.Page.DPI, DPIY: p.Page.DPI}
	for _, wd := range p.OCR.Words {
		if wd.Junk {
			continue
		}
		pp.Words = append(pp.Words, pdfa.Word{Text: wd.Text, Box: wd.Box})
		pp.Lines = append(pp.Lines, wd.Line)
	}
	return pp
}
