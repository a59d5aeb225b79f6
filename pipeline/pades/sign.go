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
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

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

// SignPDFFile signs the PDF in f in place for the organisation org, as
// SignPDF does; it implements pipeline.PDFSigner.
func (s *Signer) SignPDFFile(ctx context.Context, f *os.File, org string) error {
	o := s.Opts
	if o.Organisation == "" {
		o.Organisation = org
	}
	return SignFile(ctx, f, s.Key, o)
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
// opts.Roots when given). pdf is parsed with pdfcpu, so it may be any PDF;
// SignFile signs a file sohoa wrote without loading it.
func Sign(ctx context.Context, pdf []byte, k seal.Signer, opts Options) ([]byte, error) {
	now, err := prepare(k, &opts)
	if err != nil {
		return nil, err
	}
	return signBytes(ctx, pdf, k, opts, now)
}

// signBytes is Sign once the certificate is checked, at time now.
func signBytes(ctx context.Context, pdf []byte, k seal.Signer, opts Options, now time.Time) ([]byte, error) {
	lay, err := layoutOf(pdf)
	if err != nil {
		return nil, fmt.Errorf("sign PDF: %w", err)
	}
	inc, err := sign(ctx, bytes.NewReader(pdf), int64(len(pdf)), lay, k, opts, now)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(pdf)+len(inc))
	return append(append(out, pdf...), inc...), nil
}

// SignFile adds a PAdES signature by k to the PDF in f, as Sign does, as an
// incremental update appended to f, which must be open for reading and
// writing. The memory it takes does not depend on the file's size: the
// layout is read by offset (readLayout: the files sohoa writes), the digest
// is computed by streaming the file, and only the increment (the appearance
// and the signature, a few tens of KB) is held. The result is the same bytes
// as Sign gives for the same file, key, options and time. On error f may have
// been extended; the caller discards it.
func SignFile(ctx context.Context, f *os.File, k seal.Signer, opts Options) error {
	now, err := prepare(k, &opts)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("sign PDF: %w", err)
	}
	lay, err := readLayout(f, st.Size())
	if err != nil {
		return fmt.Errorf("sign PDF %s: %w", f.Name(), err)
	}
	inc, err := sign(ctx, f, st.Size(), lay, k, opts, now)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(inc, st.Size()); err != nil {
		return fmt.Errorf("sign PDF: %w", err)
	}
	return nil
}

// prepare fills in the defaults of opts and checks k's certificate; it
// returns the signing time.
func prepare(k seal.Signer, opts *Options) (time.Time, error) {
	if k == nil {
		return time.Time{}, errors.New("sign PDF: no signer")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Reason == "" {
		opts.Reason = Reason
	}
	now := opts.Now()
	if err := seal.ValidateCertificate(k, opts.Roots, now); err != nil {
		return time.Time{}, fmt.Errorf("sign PDF: %w", err)
	}
	return now, nil
}

// sign returns the incremental update, signature included, that signs the
// n-byte PDF at r whose layout is lay, at time now.
func sign(ctx context.Context, r io.ReaderAt, n int64, lay *pdfLayout, k seal.Signer, opts Options, now time.Time) ([]byte, error) {
	if opts.Organisation == "" {
		if o := k.Certificate().Subject.Organization; len(o) > 0 {
			opts.Organisation = o[0]
		} else {
			opts.Organisation = k.Certificate().Subject.CommonName
		}
	}
	if _, ok := lay.catalog["AcroForm"]; ok {
		return nil, errors.New("sign PDF: the file already has a form (AcroForm); sohoa signs only the PDF/A it made")
	}
	if _, ok := lay.page["Annots"]; ok {
		return nil, errors.New("sign PDF: page 1 already has annotations")
	}
	if lay.mediaBox == nil {
		return nil, errors.New("sign PDF: page 1 has no MediaBox")
	}
	last := make([]byte, 1)
	if n > 0 {
		if _, err := r.ReadAt(last, n-1); err != nil {
			return nil, fmt.Errorf("sign PDF: %w", err)
		}
	}
	f, err := serif()
	if err != nil {
		return nil, fmt.Errorf("sign PDF: %w", err)
	}
	pos := opts.Position.withDefaults(lay.mediaBox.Width())
	shown := now.In(Vietnam).Format("2006-01-02T15:04:05-07:00")
	ap, err := layout(f, []string{"Ký bởi: " + opts.Organisation, "Thời gian ký: " + shown}, pos.MaxWidth)
	if err != nil {
		return nil, fmt.Errorf("sign PDF: appearance: %w", err)
	}
	size := contentsSize(k, opts.TSA)
	base := base{r: r, n: n, newline: n > 0 && last[0] == '\n'}
	out, need, err := write(ctx, base, lay, k, opts, now, ap, pos, size)
	if need > 0 {
		// The timestamp was larger than the room kept for it: again, with room enough.
		out, _, err = write(ctx, base, lay, k, opts, now, ap, pos, need+512)
	}
	return out, err
}

// base is the PDF an increment is added to: n bytes at r.
type base struct {
	r       io.ReaderAt
	n       int64
	newline bool // it ends with a newline
}

// write makes the increment with size bytes of room for the signature; when
// the signature does not fit it returns the size needed instead.
func write(ctx context.Context, b base, lay *pdfLayout, k seal.Signer, opts Options, now time.Time, ap *appearance,
	pos Position, size int) ([]byte, int, error) {
	mb := lay.mediaBox
	r := ap.rect(pos, mb.Width(), mb.Height())
	r[0], r[2] = r[0]+mb.LL.X, r[2]+mb.LL.X
	r[1], r[3] = r[1]+mb.LL.Y, r[3]+mb.LL.Y
	inc := newIncrement(b.n, b.newline, lay.size)
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
		"P":       *lay.pageRef,
		"Rect":    types.Array{types.Float(r[0]), types.Float(r[1]), types.Float(r[2]), types.Float(r[3])},
		"AP":      types.Dict{"N": ref(formN)},
	}.PDFString())
	newPage := lay.page.Clone().(types.Dict)
	newPage["Annots"] = types.Array{ref(fieldN)}
	inc.object(lay.pageRef.ObjectNumber.Value(), newPage.PDFString())
	newCat := lay.catalog.Clone().(types.Dict)
	newCat["AcroForm"] = types.Dict{"Fields": types.Array{ref(fieldN)}, "SigFlags": types.Integer(3)}
	inc.object(lay.root.ObjectNumber.Value(), newCat.PDFString())

	trailer := types.Dict{"Root": *lay.root}
	if lay.info != nil {
		trailer["Info"] = *lay.info
	}
	if lay.id != nil {
		trailer["ID"] = lay.id
	}
	out := inc.finish(trailer, lay.prev)

	// Fill in the byte range: everything but the <...> of /Contents. Offsets
	// are in the whole file; out starts at b.n.
	sigAt := inc.offsets[sigN] + int64(len(fmt.Sprintf("%d 0 obj\n", sigN)))
	brAt := sigAt + int64(strings.Index(body, brPlaceholder))
	cAt := sigAt + int64(strings.Index(body, "/Contents <")+len("/Contents "))
	cEnd := cAt + 2 + 2*int64(size)
	total := b.n + int64(len(out))
	br := fmt.Sprintf("/ByteRange [0 %d %d %d]", cAt, cEnd, total-cEnd)
	if len(br) > len(brPlaceholder) {
		return nil, 0, errors.New("sign PDF: file too large for the byte range")
	}
	copy(out[brAt-b.n:], br+strings.Repeat(" ", len(brPlaceholder)-len(br)))
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(b.r, 0, b.n)); err != nil {
		return nil, 0, fmt.Errorf("sign PDF: read: %w", err)
	}
	h.Write(out[:cAt-b.n])
	h.Write(out[cEnd-b.n:])
	der, err := signCMS(ctx, k, h.Sum(nil), opts.TSA, now)
	if err != nil {
		return nil, 0, fmt.Errorf("sign PDF: %w", err)
	}
	if len(der) > size {
		return nil, len(der), fmt.Errorf("sign PDF: the signature (%d bytes) is larger than the room reserved (%d)", len(der), size)
	}
	hex.Encode(out[cAt-b.n+1:], der)
	for i := cAt - b.n + 1 + 2*int64(len(der)); i < cEnd-b.n-1; i++ {
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
