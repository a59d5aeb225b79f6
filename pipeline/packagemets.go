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
)

// Paths of the package's METS and PREMIS files, relative to the bag root:
// bag.METSFile and bag.PremisFile, which new code uses.
const (
	METSFile   = bag.METSFile
	PremisFile = bag.PremisFile
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
	payload := map[string]bag.Entry{}
	for _, e := range p.w.Payload() {
		payload[e.Path] = e
	}
	when := p.start.Format(time.RFC3339)
	software, version := softwareName(p.opts.Producer)

	prem := &mets.Premis{Agents: []mets.PAgent{
		mets.NewAgent(agentOrg, orgLabel(p.b.Organisation), "organization", ""),
		mets.NewAgent(agentSohoa, software, "software", version),
	}}
	seen := map[string]bool{}
	object := func(bagPath string) bool {
		e, ok := payload[bagPath]
		if !ok {
			return false
		}
		if !seen[bagPath] {
			seen[bagPath] = true
			format, fv := formatOf(bagPath, p.opts.PDF.Part)
			prem.Objects = append(prem.Objects, mets.NewObject(bagPath, e.SHA256, e.Size, format, fv))
		}
		return true
	}

	for _, f := range p.rec.Files {
		for _, d := range f.Documents {
			id := docID(f, d)
			var originals []string
			for _, pg := range d.Pages {
				o := path.Join("data/originals", pg.File)
				if object(o) && !slices.Contains(originals, o) {
					originals = append(originals, o)
				}
			}
			capture := mets.NewEvent(id+"-capture", "capture", when, "success", []string{
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
			prem.Events = append(prem.Events, capture)

			digestObjs := append([]string(nil), originals...)
			if d.Status == "done" {
				norm := mets.NewEvent(id+"-normalization", "normalization", when, "success", nil)
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

				ocrEv := mets.NewEvent(id+"-ocr", "text recognition", when, "success", []string{
					"engine: Tesseract " + ocr.Version(),
					"model: " + models(p.opts.Languages),
					"language: " + p.opts.Languages,
					fmt.Sprintf("mean confidence: %.2f", d.MeanConfidence),
				})
				ocrEv.LinkAgent(agentSohoa, "executing program")

				part := p.opts.PDF.Part
				if part == "" {
					part = pdfa.PDFA2B
				}
				create := mets.NewEvent(id+"-pdfa", "creation", when, "success", []string{
					fmt.Sprintf("PDF/A-%s with an invisible OCR text layer over the page images", strings.ToUpper(string(part))),
				})
				create.LinkAgent(agentSohoa, "executing program")
				for _, out := range []string{d.PDF, d.Text, d.ALTO} {
					if out == "" || !object(out) {
						continue
					}
					digestObjs = append(digestObjs, out)
					if out == d.PDF {
						create.LinkObject(out)
					} else {
						ocrEv.LinkObject(out)
					}
				}
				prem.Events = append(prem.Events, norm, ocrEv, create)
				if ev := metadataEvent(id, when, d); ev != nil {
					prem.Events = append(prem.Events, *ev)
				}
			} else {
				failed := mets.NewEvent(id+"-processing", "normalization", when, "failure", []string{d.Error})
				failed.LinkAgent(agentSohoa, "executing program")
				prem.Events = append(prem.Events, failed)
			}
			digest := mets.NewEvent(id+"-digest", "message digest calculation", when, "success", []string{"SHA-256 of every file"})
			digest.LinkAgent(agentSohoa, "executing program")
			for _, o := range digestObjs {
				digest.LinkObject(o)
			}
			prem.Events = append(prem.Events, digest)
		}
	}
	supersededPremis(prem, p.opts.Superseded)
	var buf bytes.Buffer
	if err := mets.WritePremis(&buf, prem); err != nil {
		return fmt.Errorf("batch %s: %w", p.b.ID, err)
	}
	pe, err := p.w.AddTag(PremisFile, bytes.NewReader(buf.Bytes()))
	if err != nil {
		return err
	}

	m := &mets.METS{
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

	root := mets.Div{ID: "div-batch", Type: "batch", Label: p.b.ID}
	for i, f := range p.rec.Files {
		fid := fmt.Sprintf("dmd-hoso-%d", i+1)
		m.DmdSecs = append(m.DmdSecs, mets.DmdSec{ID: fid, Created: now.Format(time.RFC3339),
			Wrap: mets.MdWrap{MDType: "OTHER", OtherMDType: "TT05-2025 hồ sơ", Data: mets.XMLData{Content: hoSoDesc{FileMeta: f.FileMeta}}}})
		fdiv := mets.Div{ID: fmt.Sprintf("div-hoso-%d", i+1), Type: "hồ sơ", Label: f.FileCode, DmdID: fid}
		for j, d := range f.Documents {
			did := fmt.Sprintf("dmd-vanban-%d-%d", i+1, j+1)
			m.DmdSecs = append(m.DmdSecs, mets.DmdSec{ID: did, Created: now.Format(time.RFC3339),
				Wrap: mets.MdWrap{MDType: "OTHER", OtherMDType: "TT05-2025 văn bản", Data: mets.XMLData{Content: vanBanDesc{DocMeta: d.DocMeta}}}})
			ddiv := mets.Div{ID: fmt.Sprintf("div-vanban-%d-%d", i+1, j+1), Type: "văn bản", Label: d.Source, DmdID: did, AdmID: "amd-1"}
			var refs []string
			for _, out := range []string{d.PDF, d.Text, d.ALTO} {
				if out != "" {
					refs = append(refs, out)
				}
			}
			for _, pg := range d.Pages {
				refs = append(refs, path.Join("data/originals", pg.File))
			}
			for _, r := range refs {
				if id, ok := fileIDs[r]; ok && !slices.Contains(ddiv.Fptrs, mets.Fptr{FileID: id}) {
					ddiv.Fptrs = append(ddiv.Fptrs, mets.Fptr{FileID: id})
				}
			}
			fdiv.Divs = append(fdiv.Divs, ddiv)
		}
		root.Divs = append(root.Divs, fdiv)
	}
	buf.Reset()
	if err := mets.Write(&buf, m, root); err != nil {
		return fmt.Errorf("batch %s: %w", p.b.ID, err)
	}
	_, err = p.w.AddTag(METSFile, bytes.NewReader(buf.Bytes()))
	return err
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
