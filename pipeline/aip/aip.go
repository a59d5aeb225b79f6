// Package aip writes and checks the information packages of Thông tư
// 05/2025/TT-BNV: one AIP_hoso per hồ sơ for the archive, and SIP_hoso for
// handing hồ sơ to another archive's system. Both extend E-ARK CSIP 2.0.4: a
// folder with METS.xml, metadata/descriptive/EAD.xml (the hồ sơ),
// representations/rep1 with its own METS.xml, one EAD_DOC per document and
// the signed PDFs, PREMIS 3 preservation metadata (AIP only) and the schemas,
// zipped with the folder inside.
//
// Packages are made from a finished batch package (the BagIt bag and its
// metadata/batch.json) by Build and WriteAll, and are deterministic:
// identifiers are derived from the batch and the content, files are written
// in a fixed order with fixed zip times, so the same hồ sơ always gives the
// same bytes. Check verifies a package, zipped or not, against the same
// rules; every problem is one line.
package aip

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/sohoa-vn/sohoa/pipeline/mets"
	"github.com/sohoa-vn/sohoa/pipeline/pades"
	"github.com/sohoa-vn/sohoa/pipeline/tt05"
)

// Kind is the kind of package: AIP (archival) or SIP (submission).
type Kind string

// The kinds of package.
const (
	AIP Kind = "AIP"
	SIP Kind = "SIP"
)

// ErrIncomplete is returned (wrapped) by Build for a hồ sơ with a document
// that is not done: such a hồ sơ never gets a package.
var ErrIncomplete = errors.New("hồ sơ incomplete: not packaged")

// ErrMetadata is returned (wrapped) by Build when the metadata does not fit
// the package (a required field missing, an unknown type name, …).
var ErrMetadata = errors.New("metadata does not fit the package")

//go:embed schemas/*.xsd
var schemaFS embed.FS

// Vietnam is the time zone of every time in a package (+07:00).
var Vietnam = time.FixedZone("+07:00", 7*3600)

// TimeLayout is the form of every time in a package: milliseconds and +07:00.
const TimeLayout = "2006-01-02T15:04:05.000-07:00"

// Options controls Build.
type Options struct {
	Kind Kind
	// Fonds is the mã phông in the AIP's OBJID (urn:<Fonds>:uuid-…); empty
	// gives urn:uuid:….
	Fonds string
	// ArchiveCode is the mã cơ quan lưu trữ: arcFileCode is ArchiveCode + "." +
	// the mã hồ sơ (only the mã hồ sơ when empty).
	ArchiveCode string
	// Order is the SIP's number in its transfer, the first part of its zip name
	// (Phụ lục III); 0 is taken as 1.
	Order int
}

// Package describes a package Build wrote.
type Package struct {
	Kind      Kind
	HoSo      string // mã hồ sơ
	ObjID     string
	Folder    string // the package folder inside the zip
	Name      string // the zip's file name
	SHA256    string // of the zip, lower-case hex
	Size      int64
	Documents int
	Pages     int
}

// item is one file of the package: its path under the package folder and
// its bytes, or the bag file it is copied from.
type item struct {
	path   string
	data   []byte
	bagRef string // bag path of a PDF, streamed into the zip
	size   int64
	sha256 string
}

// builder holds what Build works with for one hồ sơ.
type builder struct {
	b       *Batch
	h       *HoSo
	opts    Options
	bag     fs.FS
	id      uuid.UUID
	created string
	items   map[string]*item
	docs    []*docOut
}

type docOut struct {
	d      *Document
	docID  string // mã hồ sơ.ordinal
	values Values
	pdf    *item
	sig    *pades.Result
	part   string // PDF/A part and conformance, e.g. 2b
}

var (
	xmpPart        = regexp.MustCompile(`pdfaid:part(?:>|=")([1-4])`)
	xmpConformance = regexp.MustCompile(`pdfaid:conformance(?:>|=")([ABUabu])`)
)

// declaredPart returns the PDF/A part and conformance the PDF's XMP declares, lower case ("2b").
func declaredPart(pdf []byte) (string, bool) {
	p, c := xmpPart.FindSubmatch(pdf), xmpConformance.FindSubmatch(pdf)
	if p == nil || c == nil {
		return "", false
	}
	return string(p[1]) + strings.ToLower(string(c[1])), true
}

// namespace of the package identifiers (UUID version 5).
var namespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("urn:sohoa:tt05-2025:package"))

// Build writes the package of hồ sơ h of batch b as a zip to w. The PDFs are
// read from bag (the batch package); each must match the checksum the batch
// record holds and carry a signature. A hồ sơ with a document not done is an
// error wrapping ErrIncomplete; metadata that does not fit one wrapping
// ErrMetadata. Nothing is written to w on error.
func Build(ctx context.Context, w io.Writer, bag fs.FS, b *Batch, h *HoSo, opts Options) (*Package, error) {
	if opts.Kind != AIP && opts.Kind != SIP {
		return nil, fmt.Errorf("package kind %q: want AIP or SIP", opts.Kind)
	}
	if ok, why := h.Complete(); !ok {
		return nil, fmt.Errorf("hồ sơ %s: %w: %s", h.Code, ErrIncomplete, why)
	}
	if b.OrgID == "" {
		return nil, fmt.Errorf("hồ sơ %s: %w: the batch record names no organisation identifier (mã định danh), which the package records to bind its signatures to", h.Code, ErrMetadata)
	}
	bd := &builder{b: b, h: h, opts: opts, bag: bag, items: map[string]*item{},
		created: b.Started.In(Vietnam).Format(TimeLayout)}
	if err := bd.documents(ctx); err != nil {
		return nil, err
	}
	bd.id = bd.packageID()
	if err := bd.describe(); err != nil {
		return nil, err
	}
	if err := bd.metadata(); err != nil {
		return nil, err
	}
	pkg := bd.pkg()
	cw := &countingHash{w: w, h: sha256.New()}
	if err := bd.zip(ctx, cw, pkg.Folder); err != nil {
		return nil, fmt.Errorf("hồ sơ %s: zip: %w", h.Code, err)
	}
	pkg.SHA256, pkg.Size = hex.EncodeToString(cw.h.Sum(nil)), cw.n
	return pkg, nil
}

// documents reads every PDF of the hồ sơ from the bag: its checksum must be
// the one recorded and it must carry a signature.
func (bd *builder) documents(ctx context.Context) error {
	docs := append([]*Document(nil), bd.h.Documents...)
	sort.SliceStable(docs, func(i, j int) bool { return docs[i].Ordinal < docs[j].Ordinal })
	for _, d := range docs {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := fs.ReadFile(bd.bag, d.PDF)
		if err != nil {
			return fmt.Errorf("hồ sơ %s: %w", bd.h.Code, err)
		}
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != d.PDFSHA256 {
			return fmt.Errorf("hồ sơ %s: %s: SHA-256 %s, the batch record says %s", bd.h.Code, d.PDF, got, d.PDFSHA256)
		}
		docID := bd.h.Code + "." + strconv.Itoa(d.Ordinal)
		res := pades.Verify(d.PDF, data, pades.VerifyOptions{})
		if res.Signer == nil || hasProblemBesides(res, pades.CheckCertificate) {
			return fmt.Errorf("hồ sơ %s: %w: %s is not signed (%s); a package holds only signed files", bd.h.Code, ErrIncomplete, d.PDF, problemText(res))
		}
		part, ok := declaredPart(data)
		if !ok {
			return fmt.Errorf("hồ sơ %s: %w: %s declares no PDF/A part in its XMP metadata", bd.h.Code, ErrIncomplete, d.PDF)
		}
		it := &item{path: "representations/rep1/data/" + docID + ".pdf", bagRef: d.PDF, size: int64(len(data)), sha256: d.PDFSHA256}
		bd.items[it.path] = it
		bd.docs = append(bd.docs, &docOut{d: d, docID: docID, pdf: it, sig: res, part: part})
	}
	return nil
}

func hasProblemBesides(r *pades.Result, check string) bool {
	for _, p := range r.Problems {
		if p.Check != check {
			return true
		}
	}
	return false
}

func problemText(r *pades.Result) string {
	var out []string
	for _, p := range r.Problems {
		out = append(out, p.Check+": "+p.Detail)
	}
	return strings.Join(out, "; ")
}

// packageID derives the package's UUID from its kind, the batch, the hồ sơ
// and the checksums of its files: the same content gives the same package.
func (bd *builder) packageID() uuid.UUID {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n%s\n", bd.opts.Kind, bd.b.ID, bd.h.Code)
	for _, d := range bd.docs {
		fmt.Fprintf(&b, "%s %s\n", d.docID, d.pdf.sha256)
	}
	return uuid.NewSHA1(namespace, []byte(b.String()))
}

// sub returns the identifier of a part of the package (uuid-{UPPER}), derived from the package's.
func (bd *builder) sub(role string) string {
	return "uuid-" + strings.ToUpper(uuid.NewSHA1(bd.id, []byte(role)).String())
}

// fileID returns the identifier of a <file> (ID-{uuid}).
func (bd *builder) fileID(p string) string {
	return "ID-" + uuid.NewSHA1(bd.id, []byte("file:"+p)).String()
}

func (bd *builder) pkg() *Package {
	p := &Package{Kind: bd.opts.Kind, HoSo: bd.h.Code, Documents: len(bd.docs), Pages: bd.h.Pages()}
	if bd.opts.Kind == SIP {
		p.ObjID = "uuid-" + strings.ToUpper(bd.id.String())
		p.Folder = p.ObjID
		order := bd.opts.Order
		if order <= 0 {
			order = 1
		}
		p.Name = fmt.Sprintf("%d%s.zip", order, strings.ToLower(p.ObjID))
	} else {
		p.ObjID = "urn:uuid:" + strings.ToUpper(bd.id.String())
		if bd.opts.Fonds != "" {
			p.ObjID = "urn:" + bd.opts.Fonds + ":uuid-" + strings.ToUpper(bd.id.String())
		}
		p.Folder = strings.ReplaceAll(p.ObjID, ":", "_")
		p.Name = p.Folder + ".zip"
	}
	return p
}

// describe makes EAD.xml and every EAD_DOC, checking the values against their schemas.
func (bd *builder) describe() error {
	k := bd.opts.Kind
	hv := bd.hoSoValues()
	var problems []string
	for _, p := range hoSoSchema(k).Problems(hv) {
		problems = append(problems, "EAD.xml: "+p)
	}
	if hv["confidenceLevel"] == "02" && hv["paperFileCode"] == "" {
		problems = append(problems, "EAD.xml: paperFileCode: required for a digitized hồ sơ (confidenceLevel 02)")
	}
	for _, d := range bd.docs {
		var tp []string
		d.values, tp = bd.docValues(d.d, hv)
		problems = append(problems, tp...)
		for _, p := range docSchema(k).Problems(d.values) {
			problems = append(problems, docFile(d.docID)+": "+p)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("hồ sơ %s: %w:\n  %s", bd.h.Code, ErrMetadata, strings.Join(problems, "\n  "))
	}
	var buf bytes.Buffer
	if err := hoSoSchema(k).Write(&buf, hv); err != nil {
		return err
	}
	bd.add("metadata/descriptive/EAD.xml", buf.Bytes())
	for _, d := range bd.docs {
		var buf bytes.Buffer
		if err := docSchema(k).Write(&buf, d.values); err != nil {
			return err
		}
		bd.add("representations/rep1/metadata/descriptive/"+docFile(d.docID), buf.Bytes())
	}
	return nil
}

func docFile(docID string) string { return "EAD_DOC_" + docID + ".xml" }

// hoSoValues are the EAD fields of the hồ sơ: its metadata as given, the
// archive's file code, and the counts of the package.
func (bd *builder) hoSoValues() Values {
	v := Values{}
	for _, f := range hoSoSchema(bd.opts.Kind).Fields {
		v[f.Tag] = bd.h.Meta[f.Tag]
	}
	if bd.opts.Kind == AIP {
		v["arcFileCode"] = bd.arcFileCode()
	} else {
		v["fileCode"] = bd.h.Code
	}
	v["totalDoc"] = strconv.Itoa(len(bd.docs))
	v["numberOfPage"] = strconv.Itoa(bd.h.Pages())
	if v["confidenceLevel"] == "" {
		v["confidenceLevel"] = "02" // digitized
	}
	return v
}

func (bd *builder) arcFileCode() string {
	if bd.opts.ArchiveCode == "" {
		return bd.h.Code
	}
	return bd.opts.ArchiveCode + "." + bd.h.Code
}

// docValues are the EAD_DOC fields of d: its metadata, with the hồ sơ's
// language, mode, maintenance, format and confidence level where it gives
// none, its typeName as the TT 05 code, and docCode and docOrdinal.
func (bd *builder) docValues(d *Document, hv Values) (Values, []string) {
	v := Values{}
	for _, f := range docSchema(bd.opts.Kind).Fields {
		v[f.Tag] = d.Meta[f.Tag]
	}
	for _, tag := range []string{"language", "mode", "maintenance", "format", "confidenceLevel"} {
		if _, ok := v[tag]; ok && v[tag] == "" {
			v[tag] = hv[tag]
		}
	}
	docID := bd.h.Code + "." + strconv.Itoa(d.Ordinal)
	var problems []string
	if t := d.Meta["typeName"]; t != "" {
		if c, ok := tt05.TypeCode(t); ok {
			v["typeName"] = c
		} else {
			problems = append(problems, fmt.Sprintf("%s: typeName: %q is not a type of TT 05; allowed: %s", docFile(docID), t, tt05.TypeName.Allowed()))
			v["typeName"] = ""
		}
	}
	if v["docCode"] == "" {
		v["docCode"] = fmt.Sprintf("%s.%07d", bd.h.Code, d.Ordinal)
	}
	v["numberOfPage"] = strconv.Itoa(len(d.Pages))
	if bd.opts.Kind == AIP {
		v["arcFileCode"] = bd.arcFileCode()
		v["docOrdinal"] = strconv.Itoa(d.Ordinal)
	} else {
		v["docId"] = docID
		v["riskRecovery"], v["riskRecoveryStatus"] = hv["riskRecovery"], hv["riskRecoveryStatus"]
	}
	return v, problems
}

// add adds a file made here to the package.
func (bd *builder) add(p string, data []byte) *item {
	data = bytes.Clone(data) // the caller may reuse its buffer
	sum := sha256.Sum256(data)
	it := &item{path: p, data: data, size: int64(len(data)), sha256: hex.EncodeToString(sum[:])}
	bd.items[p] = it
	return it
}

// entry returns how the METS file in folder dir refers to item p.
func (bd *builder) entry(dir, p string) entry {
	it := bd.items[p]
	rel := strings.TrimPrefix(p, dir)
	return entry{href: rel, mime: mimeOf(p), size: it.size, sha256: it.sha256, created: bd.created}
}

func mimeOf(p string) string {
	switch path.Ext(p) {
	case ".pdf":
		return "application/pdf"
	case ".xml":
		return "application/xml"
	}
	return "application/octet-stream" // .xsd, as the accepted sample
}

// schemaFiles returns the schemas the package ships, by file name.
func (bd *builder) schemaFiles() (map[string][]byte, error) {
	out := map[string][]byte{}
	ents, err := fs.ReadDir(schemaFS, "schemas")
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if bd.opts.Kind == SIP && e.Name() == "premis-v3-0.xsd" {
			continue // a SIP has no PREMIS
		}
		data, err := fs.ReadFile(schemaFS, "schemas/"+e.Name())
		if err != nil {
			return nil, err
		}
		out[e.Name()] = data
	}
	out["ead.xsd"] = hoSoSchema(bd.opts.Kind).XSD()
	out["ead_doc.xsd"] = docSchema(bd.opts.Kind).XSD()
	return out, nil
}

// Schemas returns the files of schemas/ of a package of kind k, by name: the
// METS, XLink, CSIP extension (and, in an AIP, PREMIS) schemas and sohoa's
// ead.xsd and ead_doc.xsd.
func Schemas(k Kind) (map[string][]byte, error) {
	return (&builder{opts: Options{Kind: k}}).schemaFiles()
}

// metadata writes the PREMIS files, rep1/METS.xml, the schemas and METS.xml.
func (bd *builder) metadata() error {
	if bd.opts.Kind == AIP {
		var buf bytes.Buffer
		if err := mets.WritePremis(&buf, bd.repPremis()); err != nil {
			return err
		}
		bd.add("representations/rep1/metadata/preservation/PREMIS_rep1.xml", buf.Bytes())
	}
	var buf bytes.Buffer
	if err := mets.Encode(&buf, bd.repMETS()); err != nil {
		return err
	}
	bd.add("representations/rep1/METS.xml", buf.Bytes())
	if bd.opts.Kind == AIP {
		buf.Reset()
		if err := mets.WritePremis(&buf, bd.rootPremis()); err != nil {
			return err
		}
		bd.add("metadata/preservation/PREMIS.xml", buf.Bytes())
	}
	schemas, err := bd.schemaFiles()
	if err != nil {
		return err
	}
	for name, data := range schemas {
		bd.add("schemas/"+name, data)
	}
	buf.Reset()
	if err := mets.Encode(&buf, bd.rootMETS()); err != nil {
		return err
	}
	bd.add("METS.xml", buf.Bytes())
	return nil
}

// zip writes the package folder into a zip: files in path order, METS.xml
// first, every entry with the package's creation time.
func (bd *builder) zip(ctx context.Context, w io.Writer, folder string) error {
	paths := make([]string, 0, len(bd.items))
	for p := range bd.items {
		paths = append(paths, p)
	}
	sort.Slice(paths, func(i, j int) bool {
		if (paths[i] == "METS.xml") != (paths[j] == "METS.xml") {
			return paths[i] == "METS.xml"
		}
		return paths[i] < paths[j]
	})
	mod := bd.b.Started.In(Vietnam)
	zw := zip.NewWriter(w)
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		it := bd.items[p]
		method := zip.Deflate
		if it.bagRef != "" {
			method = zip.Store // a PDF is compressed already
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: folder + "/" + p, Method: method, Modified: mod})
		if err != nil {
			return err
		}
		if it.bagRef == "" {
			if _, err := fw.Write(it.data); err != nil {
				return err
			}
			continue
		}
		if err := copyChecked(fw, bd.bag, it); err != nil {
			return err
		}
	}
	return zw.Close()
}

// copyChecked copies the bag file of it to w, checking it is still the file
// whose checksum the METS records.
func copyChecked(w io.Writer, bag fs.FS, it *item) error {
	f, err := bag.Open(it.bagRef)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), f)
	if err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != it.sha256 || n != it.size {
		return fmt.Errorf("%s changed while it was packaged", it.bagRef)
	}
	return nil
}

type countingHash struct {
	w io.Writer
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
	n int64
}

func (c *countingHash) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

func upperHex(s string) string { return strings.ToUpper(s) }

func sortStrings(s []string) { sort.Strings(s) }
