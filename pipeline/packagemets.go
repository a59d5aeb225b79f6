package pipeline

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/mets"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/state"
)

// DescriptionNS is the XML namespace of the hồ sơ and document descriptions
// in the METS dmdSecs, whose elements are the TT 05/2025 metadata tags.
const DescriptionNS = "urn:sohoa:tt05-2025"

// hoSoDesc and vanBanDesc are the descriptive metadata wrapped in the METS.
type hoSoDesc struct {
	XMLName xml.Name `xml:"urn:sohoa:tt05-2025 hoSo"`
	FileMeta
}

type vanBanDesc struct {
	XMLName xml.Name `xml:"urn:sohoa:tt05-2025 vanBan"`
	DocMeta
}

// Agent identifiers in the PREMIS file.
const (
	agentOrg   = "agent-organisation"
	agentSohoa = "agent-sohoa"
)

// writeMETS adds metadata/preservation/premis.xml and metadata/METS.xml to the
// package, from the record and the payload written so far.
func (p *Packager) writeMETS(now time.Time) error {
	software, version := softwareName(p.opts.Producer)
	pe, err := p.writePremis(software, version)
	if err != nil {
		return err
	}
	m := p.metsHeader(now, pe, software, version)
	fileIDs := p.metsFileSec(m)
	root := p.metsStructure(m, now, fileIDs)
	var buf bytes.Buffer
	if err := mets.Write(&buf, m, root); err != nil {
		return fmt.Errorf("batch %s: %w", p.b.ID, err)
	}
	_, err = p.w.AddTag(bag.METSFile, bytes.NewReader(buf.Bytes()))
	return err
}

// writePremis adds the PREMIS file to the package: the agents, one object per
// payload file described, and each document's events.
func (p *Packager) writePremis(software, version string) (bag.Entry, error) {
	pb := &premisBuilder{p: p, when: p.start.Format(time.RFC3339), payload: map[string]bag.Entry{}, seen: map[string]bool{}}
	for _, e := range p.w.Payload() {
		pb.payload[e.Path] = e
	}
	pb.prem = &mets.Premis{Agents: []mets.PAgent{
		mets.NewAgent(agentOrg, orgLabel(p.b.Organisation), "organization", ""),
		mets.NewAgent(agentSohoa, software, "software", version),
	}}
	for _, f := range p.rec.Files {
		for _, d := range f.Documents {
			pb.document(f, d)
		}
	}
	supersededPremis(pb.prem, p.opts.Superseded)
	var pdfs []string
	for _, f := range p.rec.Files {
		for _, d := range f.Documents {
			if d.PDF != "" {
				pdfs = append(pdfs, d.PDF)
			}
		}
	}
	inspectionPremis(pb.prem, p.opts.Inspection, p.inspection, pdfs)
	var buf bytes.Buffer
	if err := mets.WritePremis(&buf, pb.prem); err != nil {
		return bag.Entry{}, fmt.Errorf("batch %s: %w", p.b.ID, err)
	}
	return p.w.AddTag(bag.PremisFile, bytes.NewReader(buf.Bytes()))
}

// premisBuilder builds the PREMIS record of a package.
type premisBuilder struct {
	p       *Packager
	prem    *mets.Premis
	when    string               // the events' date
	payload map[string]bag.Entry // the payload, by bag path
	seen    map[string]bool      // the payload files already described
}

// object describes the payload file at bagPath, once, and reports whether it is in the payload.
func (pb *premisBuilder) object(bagPath string) bool {
	e, ok := pb.payload[bagPath]
	if !ok {
		return false
	}
	if !pb.seen[bagPath] {
		pb.seen[bagPath] = true
		format, fv := formatOf(bagPath, pb.p.opts.PDF.Part)
		pb.prem.Objects = append(pb.prem.Objects, mets.NewObject(bagPath, e.SHA256, e.Size, format, fv))
	}
	return true
}

// document adds the events of document d of hồ sơ f: its capture, its
// processing (or the failure of it) and the digests of its files.
func (pb *premisBuilder) document(f *fileRecord, d *docRecord) {
	id := docID(f, d)
	var originals []string
	for _, pg := range d.Pages {
		o := path.Join("data/originals", pg.File)
		if pb.object(o) && !slices.Contains(originals, o) {
			originals = append(originals, o)
		}
	}
	pb.prem.Events = append(pb.prem.Events, pb.capture(id, d, originals))
	digestObjs := append([]string(nil), originals...)
	if d.Status == state.DocDone {
		digestObjs = append(digestObjs, pb.processing(id, d, originals)...)
	} else {
		failed := mets.NewEvent(id+"-processing", "normalization", pb.when, "failure", []string{d.Error})
		failed.LinkAgent(agentSohoa, "executing program")
		pb.prem.Events = append(pb.prem.Events, failed)
	}
	digest := mets.NewEvent(id+"-digest", "message digest calculation", pb.when, "success", []string{"SHA-256 of every file"})
	digest.LinkAgent(agentSohoa, "executing program")
	for _, o := range digestObjs {
		digest.LinkObject(o)
	}
	pb.prem.Events = append(pb.prem.Events, digest)
}

// capture returns the capture (scanning) event of document d, event id prefix id.
func (pb *premisBuilder) capture(id string, d *docRecord, originals []string) mets.Event {
	capture := mets.NewEvent(id+"-capture", "capture", pb.when, "success", []string{
		fmt.Sprintf("digitization (số hóa) of %s: %d page(s) scanned from paper", d.Source, len(d.Pages)),
	})
	for _, pg := range d.Pages {
		text := fmt.Sprintf("page %d: %s page %d, %s %s, %.0f dpi, %dx%d px",
			pg.Page, pg.File, pg.FilePage, pg.Format, pg.Color, pg.DPI, pg.ScanWidth, pg.ScanHeight)
		if Under24Bit(pg.Color) {
			text += "; " + FlagUnder24Bit + ": " + ColourRule
		}
		capture.Detail = append(capture.Detail, mets.Detail{Text: text})
	}
	capture.LinkAgent(agentOrg, "implementer")
	for _, o := range originals {
		capture.LinkObject(o)
	}
	return capture
}

// processing adds the events of done document d (normalization, OCR, PDF/A
// creation, metadata) and returns the outputs described.
func (pb *premisBuilder) processing(id string, d *docRecord, originals []string) []string {
	norm := mets.NewEvent(id+"-normalization", "normalization", pb.when, "success", nil)
	for _, pg := range d.Pages {
		if g := pg.Geometry; g != nil {
			norm.Detail = append(norm.Detail, mets.Detail{Text: fmt.Sprintf(
				"page %d: orientation %d° turned back clockwise, skew %.2f° corrected, cropped %t; colour kept for the archival image",
				pg.Page, g.Orientation, g.Skew, g.Cropped)})
		}
	}
	norm.LinkAgent(agentSohoa, "executing program")
	for _, o := range originals {
		norm.LinkObject(o)
	}
	ocrEv := mets.NewEvent(id+"-ocr", "text recognition", pb.when, "success", []string{
		"engine: Tesseract " + ocr.Version(),
		"model: " + models(pb.p.opts.Languages),
		"language: " + pb.p.opts.Languages,
		fmt.Sprintf("mean confidence: %.2f", d.MeanConfidence),
	})
	ocrEv.LinkAgent(agentSohoa, "executing program")
	part := pb.p.opts.PDF.Part
	if part == "" {
		part = pdfa.PDFA2B
	}
	create := mets.NewEvent(id+"-pdfa", "creation", pb.when, "success", []string{
		fmt.Sprintf("PDF/A-%s with an invisible OCR text layer over the page images", strings.ToUpper(string(part))),
	})
	create.LinkAgent(agentSohoa, "executing program")
	var outs []string
	for _, out := range []string{d.PDF, d.Text, d.ALTO} {
		if out == "" || !pb.object(out) {
			continue
		}
		outs = append(outs, out)
		if out == d.PDF {
			create.LinkObject(out)
		} else {
			ocrEv.LinkObject(out)
		}
	}
	pb.prem.Events = append(pb.prem.Events, norm, ocrEv, create)
	if ev := metadataEvent(id, pb.when, d); ev != nil {
		pb.prem.Events = append(pb.prem.Events, *ev)
	}
	return outs
}

// metsHeader returns the METS document of the package without its files
// and structure: its header and the reference to the PREMIS file pe.
func (p *Packager) metsHeader(now time.Time, pe bag.Entry, software, version string) *mets.METS {
	return &mets.METS{
		ObjID: p.b.ID, Label: p.b.ID, Type: "OTHER", OtherType: "Hồ sơ số hóa (TT 05/2025/TT-BNV)",
		CIType: "OTHER", OtherCI: "TT05-2025",
		Header: mets.Header{CreateDate: now.Format(time.RFC3339), PackageType: "SIP", Agents: []mets.Agent{
			{Role: "CREATOR", Type: "ORGANIZATION", Name: orgLabel(p.b.Organisation)},
			{Role: "CREATOR", Type: "OTHER", OtherType: "SOFTWARE", Name: software,
				Note: &mets.Note{NoteType: "SOFTWARE VERSION", Text: version}},
		}},
		AmdSecs: []mets.AmdSec{{ID: "amd-1", DigiprovMD: []mets.DigiprovMD{{ID: "premis-1",
			Ref: mets.NewMdRef(pe.Path, "PREMIS", "text/xml", pe.Size, pe.SHA256)}}}},
	}
}

// metsFileSec adds the payload's files to m, originals and documents in a
// group each, and returns their ids by bag path.
func (p *Packager) metsFileSec(m *mets.METS) map[string]string {
	fileIDs := map[string]string{}
	originals := mets.FileGrp{ID: "grp-originals", Use: "Originals"}
	documents := mets.FileGrp{ID: "grp-documents", Use: "Documents"}
	for i, e := range p.w.Payload() {
		id := fmt.Sprintf("file-%04d", i+1)
		fileIDs[e.Path] = id
		mime := mimeOf(e.Path)
		if strings.HasPrefix(e.Path, "data/originals/") {
			originals.Files = append(originals.Files, mets.NewFile(id, e.Path, mime, e.Size, e.SHA256))
		} else {
			documents.Files = append(documents.Files, mets.NewFile(id, e.Path, mime, e.Size, e.SHA256))
		}
	}
	for _, g := range []mets.FileGrp{originals, documents} {
		if len(g.Files) > 0 {
			m.FileSec.Groups = append(m.FileSec.Groups, g)
		}
	}
	return fileIDs
}

// metsStructure adds to m the description of every hồ sơ and document, and
// returns the structure map's root: the batch, its hồ sơ, their documents
// pointing at their files (fileIDs).
func (p *Packager) metsStructure(m *mets.METS, now time.Time, fileIDs map[string]string) mets.Div {
	root := mets.Div{ID: "div-batch", Type: "batch", Label: p.b.ID}
	for i, f := range p.rec.Files {
		fid := fmt.Sprintf("dmd-hoso-%d", i+1)
		m.DmdSecs = append(m.DmdSecs, mets.DmdSec{ID: fid, Created: now.Format(time.RFC3339),
			Wrap: &mets.MdWrap{MDType: "OTHER", OtherMDType: "TT05-2025 hồ sơ", Data: mets.XMLData{Content: hoSoDesc{FileMeta: f.FileMeta}}}})
		fdiv := mets.Div{ID: fmt.Sprintf("div-hoso-%d", i+1), Type: "hồ sơ", Label: f.FileCode, DmdID: fid}
		for j, d := range f.Documents {
			did := fmt.Sprintf("dmd-vanban-%d-%d", i+1, j+1)
			m.DmdSecs = append(m.DmdSecs, mets.DmdSec{ID: did, Created: now.Format(time.RFC3339),
				Wrap: &mets.MdWrap{MDType: "OTHER", OtherMDType: "TT05-2025 văn bản", Data: mets.XMLData{Content: vanBanDesc{DocMeta: d.DocMeta}}}})
			ddiv := mets.Div{ID: fmt.Sprintf("div-vanban-%d-%d", i+1, j+1), Type: "văn bản", Label: d.Source, DmdID: did, AdmID: "amd-1"}
			ddiv.Fptrs = docFptrs(d, fileIDs)
			fdiv.Divs = append(fdiv.Divs, ddiv)
		}
		root.Divs = append(root.Divs, fdiv)
	}
	return root
}

// docFptrs returns the pointers of document d's div to its files: its
// outputs, then its originals, each once.
func docFptrs(d *docRecord, fileIDs map[string]string) []mets.Fptr {
	var refs []string
	for _, out := range []string{d.PDF, d.Text, d.ALTO} {
		if out != "" {
			refs = append(refs, out)
		}
	}
	for _, pg := range d.Pages {
		refs = append(refs, path.Join("data/originals", pg.File))
	}
	var fptrs []mets.Fptr
	for _, r := range refs {
		if id, ok := fileIDs[r]; ok && !slices.Contains(fptrs, mets.Fptr{FileID: id}) {
			fptrs = append(fptrs, mets.Fptr{FileID: id})
		}
	}
	return fptrs
}

func docID(f *fileRecord, d *docRecord) string {
	return "ev-" + strings.NewReplacer(".", "-", "/", "-", " ", "-").Replace(f.FileCode) + fmt.Sprintf("-%d", d.DocOrdinal)
}

func orgLabel(o Organisation) string {
	if o.Identifier == "" {
		return o.Name
	}
	return o.Name + " (" + o.Identifier + ")"
}

// softwareName splits a producer such as "sohoa 0.1.0" into name and version.
func softwareName(producer string) (string, string) {
	name, version, _ := strings.Cut(producer, " ")
	return name, version
}

// models names the Tesseract trained data files of languages such as "vie+eng".
func models(languages string) string {
	var out []string
	for _, l := range strings.Split(languages, "+") {
		out = append(out, l+".traineddata")
	}
	return strings.Join(out, ", ")
}

func formatOf(p string, part pdfa.Part) (string, string) {
	switch strings.ToLower(path.Ext(p)) {
	case ".pdf":
		if part == "" {
			part = pdfa.PDFA2B
		}
		return "PDF/A", string(part)
	case ".txt":
		return "Plain text", "UTF-8"
	case ".xml":
		return "ALTO XML", "4"
	case ".tif", ".tiff":
		return "TIFF", ""
	case ".jpg", ".jpeg":
		return "JPEG", ""
	case ".png":
		return "PNG", ""
	}
	return "unknown", ""
}

func mimeOf(p string) string {
	switch strings.ToLower(path.Ext(p)) {
	case ".pdf":
		return "application/pdf"
	case ".txt":
		return "text/plain"
	case ".xml":
		return "text/xml"
	case ".tif", ".tiff":
		return "image/tiff"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".png":
		return "image/png"
	}
	return "application/octet-stream"
}
