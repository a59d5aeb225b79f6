package pades

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// pdfLayout is what the incremental update needs from the PDF it signs: the
// trailer's entries, the offset of the last cross-reference section, and the
// catalog and page 1 with page 1's (inherited) MediaBox.
type pdfLayout struct {
	size       int   // the trailer's /Size
	prev       int64 // offset of the last cross-reference section
	root, info *types.IndirectRef
	id         types.Array
	catalog    types.Dict
	page       types.Dict
	pageRef    *types.IndirectRef
	mediaBox   *types.Rectangle
}

// layoutOf parses pdf with pdfcpu (any PDF: cross-reference streams, earlier
// updates) and returns its layout. The whole document is read into memory.
func layoutOf(pdf []byte) (*pdfLayout, error) {
	pctx, err := readPDF(pdf)
	if err != nil {
		return nil, err
	}
	xt := pctx.XRefTable
	prev, err := lastStartXRef(pdf)
	if err != nil {
		return nil, err
	}
	if xt.Root == nil {
		return nil, errors.New("no document catalog")
	}
	catalog, err := xt.Catalog()
	if err != nil {
		return nil, err
	}
	page, pageRef, inh, err := xt.PageDict(1, false)
	if err != nil || page == nil || pageRef == nil {
		return nil, fmt.Errorf("page 1: %v", err)
	}
	l := &pdfLayout{size: *xt.Size, prev: prev, root: xt.Root, info: xt.Info, catalog: catalog, page: page, pageRef: pageRef}
	if xt.ID != nil {
		l.id = xt.ID
	}
	if inh != nil {
		l.mediaBox = inh.MediaBox
	}
	return l, nil
}

// Limits of readLayout.
const (
	tailSize   = 1024    // the end of the file searched for startxref
	maxObjSize = 8 << 20 // the largest catalog, page or page tree node read
)

// readLayout reads the layout of the n-byte PDF at r without loading it: the
// trailer, the one classic cross-reference table it points to, the catalog
// and the page tree nodes down to page 1, each read by its offset. It reads
// the files sohoa writes (pdfa: one classic cross-reference table, no object
// streams) and fails on anything else.
//
// pdfcpu cannot do this: api.ReadContext and pdfcpu.Read dereference every
// object of the file, stream data included, into a model.Context; there is
// no lazy mode. Its object parser (model.ParseObject) is used for each
// object read here.
func readLayout(r io.ReaderAt, n int64) (*pdfLayout, error) {
	tail := make([]byte, min(n, tailSize))
	if _, err := r.ReadAt(tail, n-int64(len(tail))); err != nil {
		return nil, fmt.Errorf("read the end of the file: %w", err)
	}
	prev, err := lastStartXRef(tail)
	if err != nil {
		return nil, err
	}
	if prev <= 0 || prev >= n {
		return nil, fmt.Errorf("startxref %d is outside the file (%d bytes)", prev, n)
	}
	x, err := readXRef(r, n, prev)
	if err != nil {
		return nil, err
	}
	tr := x.trailer
	if _, ok := tr.Find("Prev"); ok {
		return nil, errors.New("the file has been updated before (trailer /Prev); sohoa signs only the PDF/A it made")
	}
	l := &pdfLayout{prev: prev, root: tr.IndirectRefEntry("Root"), info: tr.IndirectRefEntry("Info"), id: tr.ArrayEntry("ID")}
	if s := tr.IntEntry("Size"); s != nil {
		l.size = *s
	}
	if l.root == nil || l.size <= 0 {
		return nil, errors.New("the trailer has no /Root or /Size")
	}
	if l.catalog, err = x.dict(l.root); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	ref := l.catalog.IndirectRefEntry("Pages")
	var mb types.Array
	for depth := 0; ; depth++ {
		if ref == nil || depth > 32 {
			return nil, errors.New("page 1: no page in the page tree")
		}
		d, err := x.dict(ref)
		if err != nil {
			return nil, fmt.Errorf("page tree: %w", err)
		}
		if a, ok := d.Find("MediaBox"); ok {
			if mb, ok = a.(types.Array); !ok || len(mb) != 4 {
				return nil, fmt.Errorf("page tree object %d: MediaBox is not a direct array of four numbers", ref.ObjectNumber)
			}
		}
		if t := d.NameEntry("Type"); t != nil && *t == "Page" {
			l.page, l.pageRef = d, ref
			break
		}
		kids := d.ArrayEntry("Kids")
		if len(kids) == 0 {
			return nil, fmt.Errorf("page tree object %d has no /Kids", ref.ObjectNumber)
		}
		k, ok := kids[0].(types.IndirectRef)
		if !ok {
			return nil, fmt.Errorf("page tree object %d: /Kids[0] is not a reference", ref.ObjectNumber)
		}
		ref = &k
	}
	if mb != nil {
		for _, v := range mb {
			switch v.(type) {
			case types.Integer, types.Float:
			default:
				return nil, errors.New("page 1: MediaBox is not four numbers")
			}
		}
		l.mediaBox = types.RectForArray(mb)
	}
	return l, nil
}

// xref is a classic cross-reference table read from a file.
type xref struct {
	r        io.ReaderAt
	n        int64
	sections []xrefSection
	trailer  types.Dict
}

type xrefSection struct {
	first, count int
	at           int64 // offset of its first entry
}

// readXRef reads the cross-reference table at off: its subsection headers
// (the 20-byte entries are skipped, and read one by one when needed) and the
// trailer.
func readXRef(r io.ReaderAt, n, off int64) (*xref, error) {
	x := &xref{r: r, n: n}
	line, next, err := readLine(r, n, off)
	if err != nil || line != "xref" {
		return nil, fmt.Errorf("no classic cross-reference table at %d (sohoa writes no cross-reference streams)", off)
	}
	for {
		line, after, err := readLine(r, n, next)
		if err != nil {
			return nil, fmt.Errorf("cross-reference table: %w", err)
		}
		if line == "trailer" {
			next = after
			break
		}
		f := bytes.Fields([]byte(line))
		if len(f) != 2 {
			return nil, fmt.Errorf("cross-reference table: bad subsection header %q", line)
		}
		first, err1 := strconv.Atoi(string(f[0]))
		count, err2 := strconv.Atoi(string(f[1]))
		if err1 != nil || err2 != nil || first < 0 || count < 0 {
			return nil, fmt.Errorf("cross-reference table: bad subsection header %q", line)
		}
		x.sections = append(x.sections, xrefSection{first: first, count: count, at: after})
		next = after + 20*int64(count)
	}
	body, err := readUntil(r, n, next, "startxref")
	if err != nil {
		return nil, fmt.Errorf("trailer: %w", err)
	}
	s := string(body)
	o, err := model.ParseObject(&s)
	if err != nil {
		return nil, fmt.Errorf("trailer: %w", err)
	}
	if x.trailer, _ = o.(types.Dict); x.trailer == nil {
		return nil, errors.New("trailer: not a dictionary")
	}
	return x, nil
}

// dict reads the object ref names, which must be a dictionary.
func (x *xref) dict(ref *types.IndirectRef) (types.Dict, error) {
	num := ref.ObjectNumber.Value()
	var at int64 = -1
	for _, s := range x.sections {
		if num >= s.first && num < s.first+s.count {
			at = s.at + 20*int64(num-s.first)
		}
	}
	if at < 0 {
		return nil, fmt.Errorf("object %d is not in the cross-reference table", num)
	}
	e := make([]byte, 18)
	if _, err := x.r.ReadAt(e, at); err != nil {
		return nil, fmt.Errorf("object %d: cross-reference entry: %w", num, err)
	}
	f := bytes.Fields(e)
	if len(f) != 3 || string(f[2]) != "n" {
		return nil, fmt.Errorf("object %d: cross-reference entry %q is not in use", num, e)
	}
	off, err := strconv.ParseInt(string(f[0]), 10, 64)
	if err != nil || off <= 0 || off >= x.n {
		return nil, fmt.Errorf("object %d: bad offset %q", num, f[0])
	}
	body, err := readUntil(x.r, x.n, off, "endobj")
	if err != nil {
		return nil, fmt.Errorf("object %d: %w", num, err)
	}
	s := string(body)
	objNr, genNr, err := model.ParseObjectAttributes(&s)
	if err != nil || objNr == nil || *objNr != num || genNr == nil || *genNr != ref.GenerationNumber.Value() {
		return nil, fmt.Errorf("object %d: the cross-reference table points elsewhere", num)
	}
	o, err := model.ParseObject(&s)
	if err != nil {
		return nil, fmt.Errorf("object %d: %w", num, err)
	}
	d, ok := o.(types.Dict)
	if !ok {
		return nil, fmt.Errorf("object %d is not a dictionary", num)
	}
	return d, nil
}

// readLine returns the line at off (without its end of line) and the offset after it.
func readLine(r io.ReaderAt, n, off int64) (string, int64, error) {
	b := make([]byte, min(n-off, 64))
	if _, err := r.ReadAt(b, off); err != nil && err != io.EOF {
		return "", 0, err
	}
	i := bytes.IndexAny(b, "\r\n")
	if i < 0 {
		return "", 0, fmt.Errorf("no end of line at %d", off)
	}
	end := i + 1
	if b[i] == '\r' && end < len(b) && b[end] == '\n' {
		end++
	}
	return string(bytes.TrimSpace(b[:i])), off + int64(end), nil
}

// readUntil returns the bytes from off up to the keyword kw, reading in
// growing chunks up to maxObjSize.
func readUntil(r io.ReaderAt, n, off int64, kw string) ([]byte, error) {
	size := int64(4096)
	for {
		size = min(size, n-off, maxObjSize)
		b := make([]byte, size)
		if _, err := r.ReadAt(b, off); err != nil && err != io.EOF {
			return nil, err
		}
		if i := bytes.Index(b, []byte(kw)); i >= 0 {
			return b[:i], nil
		}
		if size == n-off || size == maxObjSize {
			return nil, fmt.Errorf("no %q within %d bytes of %d", kw, size, off)
		}
		size *= 4
	}
}
