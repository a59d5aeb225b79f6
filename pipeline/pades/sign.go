// Package pades signs sohoa's PDF/A files with the organisation's key, as
// PAdES baseline signatures (ETSI EN 319 142-1 B-B, or B-T with a
// timestamp), and verifies such signatures.
//
// A signature is added as an incremental update after the PDF/A is final, so
// the original bytes stay as they were and the file stays PDF/A-2b (or 1b):
// the update adds a signature field whose widget shows, at the top right of
// page 1 (in the top margin, by default), the organisation's name and the
// signing time in ISO 8601 with the +07:00 offset, in an embedded subset of
// Liberation Serif (metric-compatible with Times New Roman), 10 pt, black.
// The signature dictionary has SubFilter ETSI.CAdES.detached; its CMS
// SignedData uses SHA-256, carries the signing certificate and its chain and
// the signing-certificate-v2 attribute, and, when a TSA is configured, an
// RFC 3161 signature timestamp over the signature value.
//
// The incremental update is written here: github.com/digitorus/pdfsign, the
// Go PDF signing library, embeds text appearances either in a standard font
// that is not embedded (not PDF/A) or as a whole TrueType font with
// WinAnsiEncoding (no Vietnamese letters, about 400 KB a file), and its
// current release needs Go 1.27. The CMS is built with
// github.com/smallstep/pkcs7 and the timestamps with
// github.com/digitorus/timestamp.
package pades

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// Reason is the signature's /Reason: the file was digitized from paper
// (Luật Giao dịch điện tử 2023 Art. 12).
const Reason = "Số hóa từ tài liệu giấy"

// Vietnam is the time zone of the signing time shown (UTC+07:00).
var Vietnam = time.FixedZone("+07", 7*3600)

// Options controls signing.
type Options struct {
	Organisation string // shown on the page; default the certificate's organisation
	Location     string // /Location, e.g. the organisation's province
	Reason       string // default Reason
	Position     Position
	// Roots, when set, are the CA certificates the signing certificate must
	// chain to; the certificate is checked before every signature (see
	// seal.CheckCertificate).
	Roots *x509.CertPool
	TSA   *TSA             // when set, each signature gets an RFC 3161 timestamp (B-T)
	Now   func() time.Time // default time.Now
}

// Signer signs PDFs with one key and one set of options.
type Signer struct {
	Key  seal.Signer
	Opts Options
}

// SignPDF signs pdf for the organisation org (shown on the page when Opts
// has none); it implements pipeline.PDFSigner.
func (s *Signer) SignPDF(ctx context.Context, pdf []byte, org string) ([]byte, error) {
	o := s.Opts
	if o.Organisation == "" {
		o.Organisation = org
	}
	return Sign(ctx, pdf, s.Key, o)
}

// contentsSize is the room reserved for the CMS signature, bytes.
func contentsSize(k seal.Signer, tsa *TSA) int {
	n := 1024 + len(k.Certificate().Raw)
	for _, c := range k.Chain() {
		n += len(c.Raw)
	}
	if tsa != nil {
		n += tsa.reserve()
	}
	return n
}

// Sign returns pdf with a PAdES signature by k added as an incremental update.
// The certificate is checked first (validity now, key usage, and the chain to
// opts.Roots when given).
func Sign(ctx context.Context, pdf []byte, k seal.Signer, opts Options) ([]byte, error) {
	if k == nil {
		return nil, errors.New("sign PDF: no signer")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Reason == "" {
		opts.Reason = Reason
	}
	now := opts.Now()
	if err := seal.ValidateCertificate(k, opts.Roots, now); err != nil {
		return nil, fmt.Errorf("sign PDF: %w", err)
	}
	return sign(ctx, pdf, k, opts, now)
}

// sign is Sign once the certificate is checked, at time now.
func sign(ctx context.Context, pdf []byte, k seal.Signer, opts Options, now time.Time) ([]byte, error) {
	if opts.Organisation == "" {
		if o := k.Certificate().Subject.Organization; len(o) > 0 {
			opts.Organisation = o[0]
		} else {
			opts.Organisation = k.Certificate().Subject.CommonName
		}
	}
	pctx, err := readPDF(pdf)
	if err != nil {
		return nil, fmt.Errorf("sign PDF: %w", err)
	}
	xt := pctx.XRefTable
	prev, err := lastStartXRef(pdf)
	if err != nil {
		return nil, fmt.Errorf("sign PDF: %w", err)
	}
	if xt.Root == nil {
		return nil, errors.New("sign PDF: no document catalog")
	}
	catalog, err := xt.Catalog()
	if err != nil {
		return nil, fmt.Errorf("sign PDF: %w", err)
	}
	if _, ok := catalog["AcroForm"]; ok {
		return nil, errors.New("sign PDF: the file already has a form (AcroForm); sohoa signs only the PDF/A it made")
	}
	page, pageRef, inh, err := xt.PageDict(1, false)
	if err != nil || page == nil || pageRef == nil {
		return nil, fmt.Errorf("sign PDF: page 1: %v", err)
	}
	if _, ok := page["Annots"]; ok {
		return nil, errors.New("sign PDF: page 1 already has annotations")
	}
	if inh == nil || inh.MediaBox == nil {
		return nil, errors.New("sign PDF: page 1 has no MediaBox")
	}
	mb := inh.MediaBox
	pageW, pageH := mb.Width(), mb.Height()

	f, err := serif()
	if err != nil {
		return nil, fmt.Errorf("sign PDF: %w", err)
	}
	pos := opts.Position.withDefaults(pageW)
	shown := now.In(Vietnam).Format("2006-01-02T15:04:05-07:00")
	ap, err := layout(f, []string{"Ký bởi: " + opts.Organisation, "Thời gian ký: " + shown}, pos.MaxWidth)
	if err != nil {
		return nil, fmt.Errorf("sign PDF: appearance: %w", err)
	}
	size := contentsSize(k, opts.TSA)
	out, need, err := write(ctx, pdf, xt, k, opts, now, ap, pos, pageW, pageH, mb, catalog, page, pageRef, prev, size)
	if need > 0 {
		// The timestamp was larger than the room kept for it: again, with room enough.
		out, _, err = write(ctx, pdf, xt, k, opts, now, ap, pos, pageW, pageH, mb, catalog, page, pageRef, prev, need+512)
	}
	return out, err
}

// write makes the signed file with size bytes of room for the signature; when
// the signature does not fit it returns the size needed instead.
func write(ctx context.Context, pdf []byte, xt *model.XRefTable, k seal.Signer, opts Options, now time.Time, ap *appearance,
	pos Position, pageW, pageH float64, mb *types.Rectangle, catalog, page types.Dict, pageRef *types.IndirectRef,
	prev int64, size int) ([]byte, int, error) {
	r := ap.rect(pos, pageW, pageH)
	r[0], r[2] = r[0]+mb.LL.X, r[2]+mb.LL.X
	r[1], r[3] = r[1]+mb.LL.Y, r[3]+mb.LL.Y
	inc := newIncrement(pdf, *xt.Size)
	formN, err := ap.write(inc)
	if err != nil {
		return nil, 0, fmt.Errorf("sign PDF: appearance: %w", err)
	}
	sigN, fieldN := inc.alloc(), inc.alloc()
	const brPlaceholder = "/ByteRange [0 0000000000 0000000000 0000000000]"
	sigDict := types.Dict{
		"Type":      types.Name("Sig"),
		"Filter":    types.Name("Adobe.PPKLite"),
		"SubFilter": types.Name("ETSI.CAdES.detached"),
		"M":         types.StringLiteral(pdfDate(now)),
		"Name":      textString(signerName(k.Certificate())),
		"Reason":    textString(opts.Reason),
	}
	if opts.Location != "" {
		sigDict["Location"] = textString(opts.Location)
	}
	body := strings.TrimSuffix(sigDict.PDFString(), ">>") + brPlaceholder + "/Contents <" + strings.Repeat("0", 2*size) + ">>>"
	inc.object(sigN, body)
	inc.object(fieldN, types.Dict{
		"Type":    types.Name("Annot"),
		"Subtype": types.Name("Widget"),
		"FT":      types.Name("Sig"),
		"T":       types.StringLiteral("Signature1"),
		"V":       ref(sigN),
		"F":       types.Integer(132), // Print, Locked
		"P":       *pageRef,
		"Rect":    types.Array{types.Float(r[0]), types.Float(r[1]), types.Float(r[2]), types.Float(r[3])},
		"AP":      types.Dict{"N": ref(formN)},
	}.PDFString())
	newPage := page.Clone().(types.Dict)
	newPage["Annots"] = types.Array{ref(fieldN)}
	inc.object(pageRef.ObjectNumber.Value(), newPage.PDFString())
	newCat := catalog.Clone().(types.Dict)
	newCat["AcroForm"] = types.Dict{"Fields": types.Array{ref(fieldN)}, "SigFlags": types.Integer(3)}
	inc.object(xt.Root.ObjectNumber.Value(), newCat.PDFString())

	trailer := types.Dict{"Root": *xt.Root}
	if xt.Info != nil {
		trailer["Info"] = *xt.Info
	}
	if xt.ID != nil {
		trailer["ID"] = xt.ID
	}
	out := inc.finish(trailer, prev)

	// Fill in the byte range: everything but the <...> of /Contents.
	sigAt := int(inc.offsets[sigN]) + len(fmt.Sprintf("%d 0 obj\n", sigN))
	brAt := sigAt + strings.Index(body, brPlaceholder)
	cAt := sigAt + strings.Index(body, "/Contents <") + len("/Contents ")
	cEnd := cAt + 2 + 2*size
	br := fmt.Sprintf("/ByteRange [0 %d %d %d]", cAt, cEnd, len(out)-cEnd)
	if len(br) > len(brPlaceholder) {
		return nil, 0, errors.New("sign PDF: file too large for the byte range")
	}
	copy(out[brAt:], br+strings.Repeat(" ", len(brPlaceholder)-len(br)))
	signed := make([]byte, 0, len(out)-(cEnd-cAt))
	signed = append(append(signed, out[:cAt]...), out[cEnd:]...)
	der, err := signCMS(ctx, k, signed, opts.TSA, now)
	if err != nil {
		return nil, 0, fmt.Errorf("sign PDF: %w", err)
	}
	if len(der) > size {
		return nil, len(der), fmt.Errorf("sign PDF: the signature (%d bytes) is larger than the room reserved (%d)", len(der), size)
	}
	hex.Encode(out[cAt+1:], der)
	for i := cAt + 1 + 2*len(der); i < cEnd-1; i++ {
		out[i] = '0'
	}
	return out, 0, nil
}

// pdfDate formats t as a PDF date in Vietnam time: D:YYYYMMDDHHmmSS+07'00'.
func pdfDate(t time.Time) string {
	return t.In(Vietnam).Format("D:20060102150405") + "+07'00'"
}

// signerName is the certificate's common name, or else its organisation.
func signerName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	if len(c.Subject.Organization) > 0 {
		return c.Subject.Organization[0]
	}
	return c.Subject.String()
}
