package aip

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/sohoa-vn/sohoa/pipeline/pades"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// Problem is one thing wrong with a package: the file (a slash path inside
// the package folder, "" for the package) and what is wrong.
type Problem struct {
	Path string
	What string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.What
	}
	return p.Path + ": " + p.What
}

// CheckOptions controls Check.
type CheckOptions struct {
	// Roots are the trusted CA certificates of the PDF signatures. Without
	// them no signer can be trusted: every PDF is a problem ("signer not
	// checked"), never a pass.
	Roots *x509.CertPool
	// Trust and OrgID bind every PDF's signer to the organisation (see
	// seal.Trust.CheckBinding): the certificate must be OrgID's by Trust.
	// With Roots but no Trust every PDF is a problem ("signer not bound to
	// the organisation"), never a pass.
	Trust *seal.Trust
	// OrgID, when set, is the organisation the package must record (its
	// METS.xml organisation agent, see Report.OrgID): an explicit override
	// (verify --org, the organisation of the bag the package came with)
	// that must match. Empty: the package's own is taken.
	OrgID string
	// StructureOnly checks the structure and every checksum but not the PDF
	// signatures: for the archive's fixity check, never for a verdict.
	StructureOnly bool
}

// Report is what Check found: the package and its problems.
type Report struct {
	Kind      Kind
	ObjID     string
	Folder    string
	Documents int
	// Code and Pages are the hồ sơ's code (arcFileCode or fileCode) and
	// numberOfPage as its EAD.xml gives them.
	Code  string
	Pages int
	// OrgID is the Organization-Identifier the package records (the metsHdr
	// agent ROLE CREATOR, TYPE ORGANIZATION, note IDENTIFICATIONCODE of
	// METS.xml); every PDF signer is bound to it by CheckOptions.Trust.
	OrgID    string
	Problems []Problem
	// Signatures holds, per PDF, what its signature check found.
	Signatures []*pades.Result
}

// OK reports whether the package has no problem.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) add(p, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Path: p, What: fmt.Sprintf(format, args...)})
}

// CheckPath checks the package at name: a zip, or a folder holding the
// package folder's contents (METS.xml at its top) or the package folder.
func CheckPath(ctx context.Context, name string, opts CheckOptions) (*Report, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		zr, err := zip.OpenReader(name)
		if err != nil {
			return nil, fmt.Errorf("%s: not a zip: %w", name, err)
		}
		defer zr.Close()
		return Check(ctx, &zr.Reader, opts)
	}
	dir := os.DirFS(name)
	if _, err := fs.Stat(dir, "METS.xml"); err == nil {
		return checkRoot(ctx, dir, ".", opts)
	}
	return Check(ctx, dir, opts)
}

// Check checks the package in fsys, whose top holds exactly the package
// folder (the form of a zip): every METS reference resolves, with the right
// SHA-256 and size; no file is unreferenced or referenced twice; identifiers
// are unique; each EAD_DOC is linked to exactly one PDF and each PDF to one
// EAD_DOC; EAD.xml and EAD_DOC files hold the fields their schemas allow and
// require; an AIP has its PREMIS files and a SIP an empty amdSec; every PDF
// carries a valid signature. A check that cannot be made is a problem.
func Check(ctx context.Context, fsys fs.FS, opts CheckOptions) (*Report, error) {
	if zr, ok := fsys.(*zip.Reader); ok {
		r := &Report{}
		for _, f := range zr.File {
			if !fs.ValidPath(strings.TrimSuffix(f.Name, "/")) {
				r.add(f.Name, "not a valid path inside a package (absolute, .. or backslash)")
			}
		}
		if !r.OK() {
			return r, nil
		}
	}
	top, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	if len(top) != 1 || !top[0].IsDir() {
		var names []string
		for _, e := range top {
			names = append(names, e.Name())
		}
		return &Report{Problems: []Problem{{What: fmt.Sprintf("a package holds exactly one folder at its top; found %q", names)}}}, nil
	}
	return checkRoot(ctx, fsys, top[0].Name(), opts)
}

// checker holds the state of one Check.
type checker struct {
	ctx  context.Context
	fsys fs.FS
	root string // the package folder in fsys ("." for a folder given as is)
	opts CheckOptions
	r    *Report
	refs map[string]int // package paths referenced by a METS file, and how often
	org  string         // the organisation the PDF signers are bound to
}

func checkRoot(ctx context.Context, fsys fs.FS, root string, opts CheckOptions) (*Report, error) {
	c := &checker{ctx: ctx, fsys: fsys, root: root, opts: opts, r: &Report{Folder: root}, refs: map[string]int{}}
	m, ok := c.readMETS("METS.xml")
	if !ok {
		return c.r, nil
	}
	c.r.ObjID = m.ObjID
	c.r.Kind = Kind(m.Header.PackageType)
	if c.r.Kind != AIP && c.r.Kind != SIP {
		c.add("METS.xml", "metsHdr csip:OAISPACKAGETYPE is %q, want AIP or SIP", m.Header.PackageType)
		return c.r, nil
	}
	c.organisation(m)
	c.rootMETS(m)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.unreferenced()
	sort.SliceStable(c.r.Problems, func(i, j int) bool { return c.r.Problems[i].Path < c.r.Problems[j].Path })
	return c.r, nil
}

func (c *checker) add(p, format string, args ...any) { c.r.add(p, format, args...) }

// full is the fsys path of package path p.
func (c *checker) full(p string) string { return path.Join(c.root, p) }

// The METS elements the checker reads.
type rMETS struct {
	XMLName xml.Name `xml:"http://www.loc.gov/METS/ mets"`
	ObjID   string   `xml:"OBJID,attr"`
	Type    string   `xml:"TYPE,attr"`
	Profile string   `xml:"PROFILE,attr"`
	Header  struct {
		CreateDate  string   `xml:"CREATEDATE,attr"`
		Agents      []rAgent `xml:"http://www.loc.gov/METS/ agent"`
		PackageType string   `xml:"https://DILCIS.eu/XML/METS/CSIPExtensionMETS OAISPACKAGETYPE,attr"`
		AltRecords  []struct {
			Type string `xml:"TYPE,attr"`
			Text string `xml:",chardata"`
		} `xml:"http://www.loc.gov/METS/ altRecordID"`
	} `xml:"http://www.loc.gov/METS/ metsHdr"`
	DmdSecs []struct {
		ID  string `xml:"ID,attr"`
		Ref []rRef `xml:"http://www.loc.gov/METS/ mdRef"`
	} `xml:"http://www.loc.gov/METS/ dmdSec"`
	AmdSecs []struct {
		ID       string `xml:"ID,attr"`
		Digiprov []struct {
			ID  string `xml:"ID,attr"`
			Ref []rRef `xml:"http://www.loc.gov/METS/ mdRef"`
		} `xml:"http://www.loc.gov/METS/ digiprovMD"`
		Inner []xml.Name `xml:",any"`
	} `xml:"http://www.loc.gov/METS/ amdSec"`
	Groups []struct {
		ID    string `xml:"ID,attr"`
		Use   string `xml:"USE,attr"`
		Files []struct {
			rRef
			ID  string `xml:"ID,attr"`
			Loc []struct {
				Href string `xml:"http://www.w3.org/1999/xlink href,attr"`
			} `xml:"http://www.loc.gov/METS/ FLocat"`
		} `xml:"http://www.loc.gov/METS/ file"`
	} `xml:"http://www.loc.gov/METS/ fileSec>fileGrp"`
	StructMap []struct {
		Label string `xml:"LABEL,attr"`
		Type  string `xml:"TYPE,attr"`
		Div   rDiv   `xml:"http://www.loc.gov/METS/ div"`
	} `xml:"http://www.loc.gov/METS/ structMap"`
	IDs []string // every ID attribute in the document, filled by readMETS
}

type rAgent struct {
	Role  string `xml:"ROLE,attr"`
	Type  string `xml:"TYPE,attr"`
	Notes []struct {
		Type string `xml:"https://DILCIS.eu/XML/METS/CSIPExtensionMETS NOTETYPE,attr"`
		Text string `xml:",chardata"`
	} `xml:"http://www.loc.gov/METS/ note"`
}

// recordedOrganisation returns the Organization-Identifier of the METS
// header's organisation agent, and what is wrong when there is not exactly
// one such agent with one identification code.
func recordedOrganisation(m *rMETS) (string, string) {
	var ids []string
	for _, a := range m.Header.Agents {
		if a.Role != "CREATOR" || a.Type != "ORGANIZATION" {
			continue
		}
		id := ""
		for _, n := range a.Notes {
			if n.Type == "IDENTIFICATIONCODE" {
				if id != "" {
					return "", "the organisation agent has more than one IDENTIFICATIONCODE note"
				}
				id = strings.TrimSpace(n.Text)
			}
		}
		ids = append(ids, id)
	}
	switch {
	case len(ids) == 0:
		return "", `metsHdr has no agent ROLE="CREATOR" TYPE="ORGANIZATION": the organisation whose key signed the PDFs is not recorded`
	case len(ids) > 1:
		return "", fmt.Sprintf("metsHdr has %d organisation agents (ROLE=\"CREATOR\" TYPE=\"ORGANIZATION\"), want 1", len(ids))
	case ids[0] == "":
		return "", `the organisation agent has no note csip:NOTETYPE="IDENTIFICATIONCODE" with its Organization-Identifier`
	}
	return ids[0], ""
}

// organisation reads the organisation the package records in METS.xml: the
// PDF signers are bound to it, or to CheckOptions.OrgID, which must match it.
func (c *checker) organisation(m *rMETS) {
	id, problem := recordedOrganisation(m)
	if problem != "" {
		c.add("METS.xml", "%s; không xác định được tổ chức ký", problem)
	}
	c.r.OrgID, c.org = id, id
	if c.opts.OrgID != "" {
		if id != "" && id != c.opts.OrgID {
			c.add("METS.xml", "the package records organisation %q, not %q as required (--org or the batch package); tổ chức ghi trong gói không khớp", id, c.opts.OrgID)
		}
		c.org = c.opts.OrgID
	}
}

type rRef struct {
	Href         string `xml:"http://www.w3.org/1999/xlink href,attr"`
	MimeType     string `xml:"MIMETYPE,attr"`
	Size         string `xml:"SIZE,attr"`
	Created      string `xml:"CREATED,attr"`
	Checksum     string `xml:"CHECKSUM,attr"`
	ChecksumType string `xml:"CHECKSUMTYPE,attr"`
	MDType       string `xml:"MDTYPE,attr"`
}

type rDiv struct {
	ID    string `xml:"ID,attr"`
	Label string `xml:"LABEL,attr"`
	DmdID string `xml:"DMDID,attr"`
	AdmID string `xml:"ADMID,attr"`
	Mptrs []struct {
		Href string `xml:"http://www.w3.org/1999/xlink href,attr"`
	} `xml:"http://www.loc.gov/METS/ mptr"`
	Fptrs []struct {
		FileID string `xml:"FILEID,attr"`
	} `xml:"http://www.loc.gov/METS/ fptr"`
	Divs []rDiv `xml:"http://www.loc.gov/METS/ div"`
}

var (
	timePattern  = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}\+07:00$`)
	upperUUID    = regexp.MustCompile(`^uuid-[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$`)
	fileIDForm   = regexp.MustCompile(`^ID-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	sha256Hex    = regexp.MustCompile(`^[0-9A-Fa-f]{64}$`)
	idAttr       = regexp.MustCompile(`\sID="([^"]*)"`)
	docIDPattern = regexp.MustCompile(`^metadata/descriptive/EAD_DOC_(.+)\.xml$`)
)

// readMETS reads the METS file at package path p.
func (c *checker) readMETS(p string) (*rMETS, bool) {
	data, err := fs.ReadFile(c.fsys, c.full(p))
	if err != nil {
		c.add(p, "cannot be read: %v", errText(err))
		return nil, false
	}
	var m rMETS
	if err := xml.Unmarshal(data, &m); err != nil {
		c.add(p, "not a METS document: %v", err)
		return nil, false
	}
	for _, sm := range idAttr.FindAllSubmatch(data, -1) {
		m.IDs = append(m.IDs, string(sm[1]))
	}
	seen := map[string]bool{}
	for _, id := range m.IDs {
		if seen[id] {
			c.add(p, "ID %s is used more than once", id)
		}
		seen[id] = true
		if !upperUUID.MatchString(id) && !fileIDForm.MatchString(id) {
			c.add(p, "ID %q is neither uuid-{UPPER-CASE UUID} nor ID-{UUID}", id)
		}
	}
	if !timePattern.MatchString(m.Header.CreateDate) {
		c.add(p, "metsHdr CREATEDATE %q: want milliseconds and +07:00 (2026-06-12T11:45:37.690+07:00)", m.Header.CreateDate)
	}
	if m.Type != "Mixed" {
		c.add(p, "TYPE is %q, want Mixed", m.Type)
	}
	return &m, true
}

func errText(err error) string {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// ref checks one mdRef or file of the METS at base (its folder in the
// package): the attributes, and the file it points at (exists, SHA-256,
// size). It returns the package path, "" when the reference cannot be followed.
func (c *checker) ref(metsPath, base string, r rRef, what string) string {
	if r.Href == "" {
		c.add(metsPath, "%s without a location (xlink:href)", what)
		return ""
	}
	p := path.Join(base, r.Href)
	if strings.HasPrefix(r.Href, "/") || !fs.ValidPath(p) || strings.Contains(r.Href, "\\") {
		c.add(metsPath, "%s %q points outside the package", what, r.Href)
		return ""
	}
	c.refs[p]++
	if r.ChecksumType != "SHA-256" {
		c.add(metsPath, "%s %s: CHECKSUMTYPE %q, want SHA-256", what, r.Href, r.ChecksumType)
	}
	if !sha256Hex.MatchString(r.Checksum) {
		c.add(metsPath, "%s %s: CHECKSUM %q is not a SHA-256", what, r.Href, r.Checksum)
	}
	if !timePattern.MatchString(r.Created) {
		c.add(metsPath, "%s %s: CREATED %q, want milliseconds and +07:00", what, r.Href, r.Created)
	}
	if r.MimeType == "" {
		c.add(metsPath, "%s %s: no MIMETYPE", what, r.Href)
	}
	size, err := strconv.ParseInt(r.Size, 10, 64)
	if err != nil {
		c.add(metsPath, "%s %s: SIZE %q is not a number", what, r.Href, r.Size)
	}
	fi, err := fs.Stat(c.fsys, c.full(p))
	if err != nil {
		c.add(p, "listed in %s but missing from the package", metsPath)
		return ""
	}
	if !fi.Mode().IsRegular() {
		c.add(p, "not a regular file")
		return ""
	}
	sum, n, err := c.hash(p)
	if err != nil {
		c.add(p, "cannot be read: %v", errText(err))
		return ""
	}
	if n != size {
		c.add(p, "size %d, %s says %s", n, metsPath, r.Size)
	}
	if !strings.EqualFold(sum, r.Checksum) {
		c.add(p, "SHA-256 %s, %s says %s", sum, metsPath, r.Checksum)
	}
	return p
}

func (c *checker) hash(p string) (string, int64, error) {
	f, err := c.fsys.Open(c.full(p))
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// rootMETS checks the package's METS.xml and, through it, the representation.
func (c *checker) rootMETS(m *rMETS) {
	wantProfile := ProfileAIP
	if c.r.Kind == SIP {
		wantProfile = ProfileCSIP
		if !upperUUID.MatchString(m.ObjID) {
			c.add("METS.xml", "OBJID %q: a SIP's is uuid-{UPPER-CASE UUID}", m.ObjID)
		}
		if len(m.Header.AltRecords) != 1 || m.Header.AltRecords[0].Type != "SUBMISSIONAGREEMENT" || m.Header.AltRecords[0].Text == "" {
			c.add("METS.xml", "a SIP's metsHdr has one altRecordID TYPE=\"SUBMISSIONAGREEMENT\" holding the fileCode")
		}
	} else if !strings.HasPrefix(m.ObjID, "urn:") {
		c.add("METS.xml", "OBJID %q: an AIP's is urn:uuid:{UUID} or urn:{mã phông}:uuid-{UUID}", m.ObjID)
	}
	if m.Profile != wantProfile {
		c.add("METS.xml", "PROFILE %q, want %s", m.Profile, wantProfile)
	}
	if c.root != "." && c.root != strings.ReplaceAll(m.ObjID, ":", "_") {
		c.add("", "the package folder %q is not named after the OBJID %q (':' as '_')", c.root, m.ObjID)
	}
	var ead string
	for _, d := range m.DmdSecs {
		for _, r := range d.Ref {
			if p := c.ref("METS.xml", "", r, "mdRef"); p != "" && p == "metadata/descriptive/EAD.xml" {
				ead = p
			}
		}
	}
	if ead == "" {
		c.add("METS.xml", "no dmdSec refers to metadata/descriptive/EAD.xml")
	} else {
		v := c.description(ead, hoSoSchema(c.r.Kind), true)
		c.r.Code = v["arcFileCode"] + v["fileCode"]
		c.r.Pages, _ = strconv.Atoi(v["numberOfPage"])
	}
	c.amdSec("METS.xml", "", m, "metadata/preservation/PREMIS.xml")
	var reps []string
	for _, g := range m.Groups {
		for _, f := range g.Files {
			r := f.rRef
			if len(f.Loc) != 1 {
				c.add("METS.xml", "file %s has %d FLocat, want 1", f.ID, len(f.Loc))
				continue
			}
			r.Href = f.Loc[0].Href
			p := c.ref("METS.xml", "", r, "file")
			if p != "" && strings.HasPrefix(p, "representations/") && path.Base(p) == "METS.xml" {
				reps = append(reps, p)
			}
		}
	}
	if len(reps) != 1 || reps[0] != repDir+"METS.xml" {
		c.add("METS.xml", "lists representations %q, want exactly representations/rep1/METS.xml", reps)
		return
	}
	c.repMETS(reps[0])
}

// amdSec checks the amdSec of the METS at metsPath: in an AIP one digiprovMD
// referring to premis; in a SIP present and empty.
func (c *checker) amdSec(metsPath, base string, m *rMETS, premis string) {
	if len(m.AmdSecs) != 1 {
		c.add(metsPath, "%d amdSec, want 1", len(m.AmdSecs))
		return
	}
	a := m.AmdSecs[0]
	if c.r.Kind == SIP {
		if len(a.Inner) > 0 || len(a.Digiprov) > 0 {
			c.add(metsPath, "a SIP's amdSec is empty (no PREMIS)")
		}
		return
	}
	found := false
	for _, d := range a.Digiprov {
		for _, r := range d.Ref {
			if p := c.ref(metsPath, base, r, "mdRef"); p == premis {
				found = true
				if r.MDType != "PREMIS" {
					c.add(metsPath, "mdRef %s: MDTYPE %q, want PREMIS", r.Href, r.MDType)
				}
				c.premis(p)
			}
		}
	}
	if !found {
		c.add(metsPath, "the amdSec does not point to %s", premis)
	}
}

// premis checks that a PREMIS file is a PREMIS 3 document.
func (c *checker) premis(p string) {
	data, err := fs.ReadFile(c.fsys, c.full(p))
	if err != nil {
		return // reported by ref
	}
	var doc struct {
		XMLName xml.Name `xml:"http://www.loc.gov/premis/v3 premis"`
		Version string   `xml:"version,attr"`
		Objects []struct {
			Fixity []struct {
				Algorithm string `xml:"messageDigestAlgorithm"`
			} `xml:"objectCharacteristics>fixity"`
		} `xml:"object"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		c.add(p, "not a PREMIS 3 document: %v", err)
		return
	}
	if doc.Version != "3.0" {
		c.add(p, "PREMIS version %q, want 3.0", doc.Version)
	}
}

// description checks an EAD or EAD_DOC file against its schema.
func (c *checker) description(p string, s Schema, hoSo bool) Values {
	f, err := c.fsys.Open(c.full(p))
	if err != nil {
		return nil // reported by ref
	}
	defer f.Close()
	v, problems, err := s.Read(f)
	if err != nil {
		c.add(p, "%v", err)
		return nil
	}
	problems = append(problems, s.Problems(v)...)
	if hoSo && v["confidenceLevel"] == "02" && v["paperFileCode"] == "" {
		problems = append(problems, "paperFileCode: required for a digitized hồ sơ (confidenceLevel 02)")
	}
	for _, pr := range problems {
		c.add(p, "%s", pr)
	}
	return v
}

// repMETS checks representations/rep1/METS.xml: its EAD_DOC files, PREMIS,
// PDFs and the MetadataLink pairs.
func (c *checker) repMETS(p string) {
	m, ok := c.readMETS(p)
	if !ok {
		return
	}
	base := path.Dir(p)
	if id, _ := recordedOrganisation(m); id != c.r.OrgID {
		c.add(p, "records organisation %q, METS.xml %q", id, c.r.OrgID)
	}
	if m.Profile != ProfileCSIP {
		c.add(p, "PROFILE %q, want %s", m.Profile, ProfileCSIP)
	}
	dmd := map[string]string{} // dmdSec ID -> EAD_DOC package path
	for _, d := range m.DmdSecs {
		for _, r := range d.Ref {
			rp := c.ref(p, base, r, "mdRef")
			if rp == "" {
				continue
			}
			dmd[d.ID] = rp
			c.description(rp, docSchema(c.r.Kind), false)
		}
	}
	c.amdSec(p, base, m, base+"/metadata/preservation/PREMIS_rep1.xml")
	files := map[string]string{} // file ID -> package path
	for _, g := range m.Groups {
		for _, f := range g.Files {
			r := f.rRef
			if len(f.Loc) != 1 {
				c.add(p, "file %s has %d FLocat, want 1", f.ID, len(f.Loc))
				continue
			}
			r.Href = f.Loc[0].Href
			if fp := c.ref(p, base, r, "file"); fp != "" {
				files[f.ID] = fp
				if g.Use == "Data" && strings.EqualFold(path.Ext(fp), ".pdf") && !c.opts.StructureOnly {
					c.signature(fp)
				}
			}
		}
	}
	c.metadataLinks(p, base, m, dmd, files)
}

// metadataLinks checks that MetadataLink pairs each EAD_DOC with exactly one
// PDF, named after the same docId, and each PDF with exactly one EAD_DOC.
func (c *checker) metadataLinks(p, base string, m *rMETS, dmd, files map[string]string) {
	var link *rDiv
	if len(m.StructMap) > 0 {
		for i, d := range m.StructMap[0].Div.Divs {
			if d.Label == "MetadataLink" {
				link = &m.StructMap[0].Div.Divs[i]
			}
		}
	}
	if link == nil {
		c.add(p, "no MetadataLink div in the structMap")
		return
	}
	dmdLinked, fileLinked := map[string]int{}, map[string]int{}
	for _, d := range link.Divs {
		if d.Label != "File" || len(d.Fptrs) != 1 || strings.Contains(strings.TrimSpace(d.DmdID), " ") {
			c.add(p, "MetadataLink div %s: want LABEL=\"File\", one DMDID and one fptr", d.ID)
			continue
		}
		doc, okD := dmd[d.DmdID]
		file, okF := files[d.Fptrs[0].FileID]
		if !okD {
			c.add(p, "MetadataLink div %s: DMDID %q is no dmdSec of an EAD_DOC", d.ID, d.DmdID)
		}
		if !okF {
			c.add(p, "MetadataLink div %s: FILEID %q is no file", d.ID, d.Fptrs[0].FileID)
		}
		if !okD || !okF {
			continue
		}
		dmdLinked[d.DmdID]++
		fileLinked[d.Fptrs[0].FileID]++
		sm := docIDPattern.FindStringSubmatch(strings.TrimPrefix(doc, base+"/"))
		if sm == nil || strings.TrimPrefix(file, base+"/") != "data/"+sm[1]+".pdf" {
			c.add(p, "MetadataLink div %s pairs %s with %s: not the same document", d.ID, doc, file)
		}
	}
	for id, doc := range dmd {
		if n := dmdLinked[id]; n != 1 {
			c.add(doc, "linked to %d PDF(s) by MetadataLink, want 1", n)
		}
	}
	for id, f := range files {
		if n := fileLinked[id]; n != 1 {
			c.add(f, "linked to %d EAD_DOC(s) by MetadataLink, want 1", n)
		}
	}
	c.r.Documents = len(dmd)
}

// signature checks the signature of the PDF at package path p.
func (c *checker) signature(p string) {
	data, err := fs.ReadFile(c.fsys, c.full(p))
	if err != nil {
		c.add(p, "cannot be read: %v", errText(err))
		return
	}
	res := pades.Verify(p, data, pades.VerifyOptions{Roots: c.opts.Roots, Trust: c.opts.Trust, OrgID: c.org})
	c.r.Signatures = append(c.r.Signatures, res)
	for _, pr := range res.Problems {
		if c.opts.Roots == nil && pr.Check == pades.CheckCertificate {
			continue // one line below says so
		}
		c.add(p, "signature: %s: %s", pr.Check, pr.Detail)
	}
	switch {
	case c.opts.Roots == nil:
		c.add(p, "signature: signer not checked: no CA certificate given (--ca); chưa kiểm tra người ký")
	case c.opts.Trust == nil:
		c.add(p, "signature: signer not bound to the organisation: no trust file given (--trust); chưa kiểm tra người ký có phải của cơ quan")
	}
}

// unreferenced reports every file of the package that no METS refers to,
// and every file referred to more than once.
func (c *checker) unreferenced() {
	err := fs.WalkDir(c.fsys, c.root, func(fp string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(fp, c.root), "/")
		if c.root == "." {
			rel = fp
		}
		if rel == "METS.xml" {
			return nil
		}
		if c.refs[rel] == 0 {
			c.add(rel, "in the package but listed in no METS file")
		}
		return nil
	})
	if err != nil {
		c.add("", "the package cannot be listed: %v", err)
	}
	for p, n := range c.refs {
		if n > 1 {
			c.add(p, "listed %d times in the METS files, want once", n)
		}
	}
}
