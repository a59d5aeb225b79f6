package aip

import (
	"fmt"
	"strings"

	"github.com/sohoa-vn/sohoa/pipeline/mets"
)

const repDir = "representations/rep1/"

func (bd *builder) header() mets.Header {
	software := bd.b.Producer
	if software == "" {
		software = "sohoa"
	}
	a := mets.Agent{Role: "CREATOR", Type: "OTHER", OtherType: "SOFTWARE", Name: software,
		Note: &mets.Note{NoteType: "IDENTIFICATIONCODE", Text: bd.fondsCode()}}
	h := mets.Header{CreateDate: bd.created, RecordStatus: "NEW", PackageType: string(bd.opts.Kind), Agents: []mets.Agent{a, bd.organisation()}}
	if bd.opts.Kind == SIP {
		h.AltRecordIDs = []mets.AltRecordID{{Type: "SUBMISSIONAGREEMENT", Text: bd.h.Code}}
	}
	return h
}

// organisation is the metsHdr agent of the organisation whose records these
// are and whose key signed the PDFs (ROLE CREATOR, TYPE ORGANIZATION, as
// E-ARK SIP records its agents) with its Organization-Identifier as the
// note IDENTIFICATIONCODE: what Check binds the PDF signers to, as the
// bag's bag-info Organization-Identifier is for the bag.
func (bd *builder) organisation() mets.Agent {
	name := bd.b.OrgName
	if name == "" {
		name = bd.b.OrgID
	}
	return mets.Agent{Role: "CREATOR", Type: "ORGANIZATION", Name: name,
		Note: &mets.Note{NoteType: "IDENTIFICATIONCODE", Text: bd.b.OrgID}}
}

// fondsCode is the identification code of the metsHdr agent: the mã phông,
// or the organisation's identifier when none is configured.
func (bd *builder) fondsCode() string {
	if bd.opts.Fonds != "" {
		return bd.opts.Fonds
	}
	return bd.b.OrgID
}

func (bd *builder) newMETS(objID, label, profile string) *mets.METS {
	return &mets.METS{ObjID: objID, Label: label, Type: "Mixed", CIType: "MIXED", Profile: profile, Header: bd.header()}
}

// repMETS is representations/rep1/METS.xml: one dmdSec per EAD_DOC, the
// PREMIS of the representation (AIP), the PDFs, and a MetadataLink/File div
// pairing each EAD_DOC with its PDF.
func (bd *builder) repMETS() *mets.METS {
	profile := ProfileCSIP
	m := bd.newMETS(bd.pkg().ObjID, "rep1", profile)
	amd := mets.AmdSec{ID: bd.sub("rep1:amdSec")}
	metaDiv := mets.Div{ID: bd.sub("rep1:div:Metadata"), Label: "Metadata"}
	if bd.opts.Kind == AIP {
		pid := bd.sub("rep1:digiprovMD")
		amd.DigiprovMD = []mets.DigiprovMD{{ID: pid,
			Ref: *bd.entry(repDir, repDir+"metadata/preservation/PREMIS_rep1.xml").mdRef("PREMIS", "3.0")}}
		metaDiv.AdmID = pid
	}
	m.AmdSecs = []mets.AmdSec{amd}
	data := mets.FileGrp{ID: bd.sub("rep1:fileGrp:Data"), Use: "Data"}
	dataDiv := mets.Div{ID: bd.sub("rep1:div:Data"), Label: "Data"}
	link := mets.Div{ID: bd.sub("rep1:div:MetadataLink"), Label: "MetadataLink"}
	var dmdIDs []string
	for _, d := range bd.docs {
		dmd := bd.sub("rep1:dmd:" + d.docID)
		dmdIDs = append(dmdIDs, dmd)
		m.DmdSecs = append(m.DmdSecs, mets.DmdSec{ID: dmd, Created: bd.created,
			Ref: bd.entry(repDir, repDir+"metadata/descriptive/"+docFile(d.docID)).mdRef("DC", "1.0.0")})
		fid := bd.fileID(d.pdf.path)
		data.Files = append(data.Files, bd.entry(repDir, d.pdf.path).file(fid))
		dataDiv.Fptrs = append(dataDiv.Fptrs, mets.Fptr{FileID: fid})
		link.Divs = append(link.Divs, mets.Div{ID: bd.sub("rep1:div:File:" + d.docID), Label: "File", DmdID: dmd,
			Fptrs: []mets.Fptr{{FileID: fid}}})
	}
	metaDiv.DmdID = strings.Join(dmdIDs, " ")
	m.FileSec = mets.FileSec{ID: bd.sub("rep1:fileSec"), Groups: []mets.FileGrp{data}}
	m.StructMap = &mets.StructMap{ID: bd.sub("rep1:structMap"), Type: "PHYSICAL", Label: "CSIP",
		Div: mets.Div{ID: bd.sub("rep1:div"), Label: "rep1", Divs: []mets.Div{metaDiv, dataDiv, link}}}
	return m
}

// rootMETS is the package's METS.xml: EAD.xml, PREMIS.xml (AIP), the
// schemas and the representation's METS.
func (bd *builder) rootMETS() *mets.METS {
	profile := ProfileAIP
	if bd.opts.Kind == SIP {
		profile = ProfileCSIP
	}
	p := bd.pkg()
	m := bd.newMETS(p.ObjID, bd.h.Meta["title"], profile)
	dmd := bd.sub("dmd:EAD")
	m.DmdSecs = []mets.DmdSec{{ID: dmd, Created: bd.created, Ref: bd.entry("", "metadata/descriptive/EAD.xml").mdRef("DC", "1.0.0")}}
	metaDiv := mets.Div{ID: bd.sub("div:Metadata"), Label: "Metadata", DmdID: dmd}
	amd := mets.AmdSec{ID: bd.sub("amdSec")}
	if bd.opts.Kind == AIP {
		pid := bd.sub("digiprovMD")
		amd.DigiprovMD = []mets.DigiprovMD{{ID: pid, Ref: *bd.entry("", "metadata/preservation/PREMIS.xml").mdRef("PREMIS", "3.0")}}
		metaDiv.AdmID = pid
	}
	m.AmdSecs = []mets.AmdSec{amd}
	schemas := mets.FileGrp{ID: bd.sub("fileGrp:Schemas"), Use: "Schemas"}
	schemaDiv := mets.Div{ID: bd.sub("div:Schemas"), Label: "Schemas"}
	for _, p := range bd.sortedPaths("schemas/") {
		fid := bd.fileID(p)
		schemas.Files = append(schemas.Files, bd.entry("", p).file(fid))
		schemaDiv.Fptrs = append(schemaDiv.Fptrs, mets.Fptr{FileID: fid})
	}
	rep := mets.FileGrp{ID: bd.sub("fileGrp:rep1"), Use: "Representations/rep1"}
	repFile := bd.fileID(repDir + "METS.xml")
	rep.Files = []mets.File{bd.entry("", repDir+"METS.xml").file(repFile)}
	m.FileSec = mets.FileSec{ID: bd.sub("fileSec"), Groups: []mets.FileGrp{schemas, rep}}
	repDiv := mets.Div{ID: bd.sub("div:rep1"), Label: "Representations/rep1",
		Mptrs: []mets.Mptr{{LocType: "URL", XLinkType: "simple", Href: repDir + "METS.xml", Title: repFile}}}
	m.StructMap = &mets.StructMap{ID: bd.sub("structMap"), Type: "PHYSICAL", Label: "CSIP",
		Div: mets.Div{ID: bd.sub("div"), Label: p.ObjID, Divs: []mets.Div{metaDiv, schemaDiv, repDiv}}}
	return m
}

func (bd *builder) sortedPaths(prefix string) []string {
	var out []string
	for p := range bd.items {
		if strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	sortStrings(out)
	return out
}

// Agent identifiers in the PREMIS files.
const (
	agentOrg      = "agent-organisation"
	agentSoftware = "agent-software"
)

func (bd *builder) agents() []mets.PAgent {
	name, version, _ := strings.Cut(bd.b.Producer, " ")
	if name == "" {
		name = "sohoa"
	}
	org := bd.b.OrgName
	if bd.b.OrgID != "" {
		org += " (" + bd.b.OrgID + ")"
	}
	return []mets.PAgent{mets.NewAgent(agentOrg, org, "organization", ""), mets.NewAgent(agentSoftware, name, "software", version)}
}

// pronom returns the PRONOM key of a PDF/A part ("2b" → fmt/477).
func pronom(version string) string {
	switch version {
	case "1b":
		return "fmt/354"
	case "1a":
		return "fmt/95"
	case "2a":
		return "fmt/476"
	case "2u":
		return "fmt/478"
	}
	return "fmt/477" // PDF/A-2b, what sohoa writes by default
}

// repPremis is PREMIS_rep1.xml: one object per PDF (SHA-256, size, PRONOM
// format, its signature) and, per document, the events that made it.
func (bd *builder) repPremis() *mets.Premis {
	p := &mets.Premis{Agents: bd.agents()}
	for _, d := range bd.docs {
		rel := strings.TrimPrefix(d.pdf.path, repDir)
		part := pdfaPart(d)
		obj := mets.NewObject(rel, d.pdf.sha256, d.pdf.size, "PDF/A", part)
		obj.Chars.Fixity.Originator = "sohoa"
		obj.Chars.Format.Registry = &mets.FormatRegistry{Name: "PRONOM", Key: pronom(part), Role: "specification"}
		obj.Name = d.d.Source
		obj.Signatures = []mets.SignatureInformation{{Signature: signatureOf(d)}}
		p.Objects = append(p.Objects, obj)
		p.Events = append(p.Events, bd.docEvents(d, rel)...)
	}
	return p
}

// pdfaPart is the PDF/A part and conformance of the document's PDF as its
// XMP metadata declares them ("2b"), read when the PDF was.
func pdfaPart(d *docOut) string { return d.part }

func signatureOf(d *docOut) mets.Signature {
	s := mets.Signature{
		Encoding:        "CMS (PKCS #7) detached, PAdES (ETSI EN 319 142), in the PDF's signature dictionary",
		Signer:          d.sig.SignerName(),
		Method:          "SHA-256 with " + d.sig.Signer.PublicKeyAlgorithm.String(),
		Value:           "the /Contents of the PDF's signature dictionary, over its /ByteRange",
		ValidationRules: "ISO 32000-2 §12.8 and ETSI EN 319 142-1 (PAdES B-B/B-T); check with sohoa verify or pdfsig",
		Properties:      []string{"signing time: " + d.sig.SigningTime.In(Vietnam).Format("2006-01-02T15:04:05-07:00")},
	}
	if !d.sig.Timestamp.IsZero() {
		s.Properties = append(s.Properties, "RFC 3161 timestamp: "+d.sig.Timestamp.In(Vietnam).Format("2006-01-02T15:04:05-07:00"))
	}
	return s
}

// docEvents are the events of one document: transfer (digitization),
// normalization, OCR, PDF/A creation and signing, each with its outcome and agents.
func (bd *builder) docEvents(d *docOut, obj string) []mets.Event {
	when := bd.created
	id := func(kind string) string { return bd.sub("event:" + kind + ":" + d.docID) }
	transfer := mets.NewEvent(id("transfer"), "transfer", when, "success", []string{
		fmt.Sprintf("số hóa (digitization) of %s from paper: %d page(s), batch %s", d.d.Source, len(d.d.Pages), bd.b.ID)})
	for i, pg := range d.d.Pages {
		transfer.Detail = append(transfer.Detail, mets.Detail{Text: fmt.Sprintf("page %d: %s page %d, %s %s, %.0f dpi, SHA-256 %s",
			i+1, pg.File, pg.FilePage, pg.Format, pg.Color, pg.DPI, pg.SHA256)})
	}
	transfer.LinkAgent(agentOrg, "implementer")
	transfer.LinkAgent(agentSoftware, "executing program")
	norm := mets.NewEvent(id("normalization"), "normalization", when, "success", nil)
	for i, pg := range d.d.Pages {
		if g := pg.Geometry; g != nil {
			norm.Detail = append(norm.Detail, mets.Detail{Text: fmt.Sprintf("page %d: orientation %d° turned back, skew %.2f° corrected; colour kept", i+1, g.Orientation, g.Skew)})
		}
	}
	norm.LinkAgent(agentSoftware, "executing program")
	ocrEv := mets.NewEvent(id("ocr"), "text recognition", when, "success", []string{
		"OCR languages: " + bd.b.Languages, fmt.Sprintf("mean confidence: %.2f", d.d.Confidence)})
	ocrEv.LinkAgent(agentSoftware, "executing program")
	create := mets.NewEvent(id("creation"), "creation", when, "success", []string{"PDF/A with an invisible OCR text layer over the page images"})
	create.LinkAgent(agentSoftware, "executing program")
	create.LinkObject(obj)
	sign := mets.NewEvent(id("signing"), "digital signature generation", d.sig.SigningTime.In(Vietnam).Format(TimeLayout), "success",
		[]string{"signed by " + d.sig.SignerName() + " as an incremental update of the PDF/A"})
	sign.LinkAgent(agentOrg, "implementer")
	sign.LinkAgent(agentSoftware, "executing program")
	sign.LinkObject(obj)
	return []mets.Event{transfer, norm, ocrEv, create, sign}
}

// rootPremis is PREMIS.xml: the package's description files and the events
// of the hồ sơ (its digitization, and the making of the package).
func (bd *builder) rootPremis() *mets.Premis {
	p := &mets.Premis{Agents: bd.agents()}
	var objs []string
	for _, path := range []string{"metadata/descriptive/EAD.xml", repDir + "METS.xml"} {
		it := bd.items[path]
		p.Objects = append(p.Objects, mets.NewObject(path, it.sha256, it.size, "XML", "1.0"))
		objs = append(objs, path)
	}
	transfer := mets.NewEvent(bd.sub("event:transfer"), "transfer", bd.created, "success", []string{
		fmt.Sprintf("số hóa (digitization) of hồ sơ %s: %d document(s), %d page(s), batch %s", bd.h.Code, len(bd.docs), bd.h.Pages(), bd.b.ID)})
	transfer.LinkAgent(agentOrg, "implementer")
	transfer.LinkAgent(agentSoftware, "executing program")
	create := mets.NewEvent(bd.sub("event:package"), "information package creation", bd.created, "success", []string{
		"AIP_hoso (TT 05/2025, E-ARK CSIP 2.0.4) made from the signed PDF/A files of batch " + bd.b.ID})
	create.LinkAgent(agentSoftware, "executing program")
	for _, o := range objs {
		create.LinkObject(o)
	}
	p.Events = []mets.Event{transfer, create}
	return p
}
