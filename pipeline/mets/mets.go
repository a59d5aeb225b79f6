// Package mets writes and reads the METS and PREMIS 3 files of a sohoa
// package, in the E-ARK CSIP style that Thông tư 05/2025/TT-BNV describes:
// metadata/METS.xml lists every payload file with its SHA-256 checksum and
// size, points at the hồ sơ and document descriptions, and refers to the
// PREMIS preservation metadata in metadata/preservation/premis.xml.
//
// The types hold only the parts of the two schemas sohoa writes, for the
// batch package and for the TT 05 AIP_hoso / SIP_hoso (package aip): CSIP
// attributes, metadata wrapped or referred to (mdRef with its checksum, size,
// creation time and MIME type), mptr to a representation's METS. Write and
// Encode add the namespaces; Files reads back the file section of any METS
// document.
package mets

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
)

// Namespaces and profile.
const (
	NS        = "http://www.loc.gov/METS/"
	XLinkNS   = "http://www.w3.org/1999/xlink"
	CSIPNS    = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
	PremisNS  = "http://www.loc.gov/premis/v3"
	XSINS     = "http://www.w3.org/2001/XMLSchema-instance"
	Profile   = "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"
	ChecksumT = "SHA-256" // the CHECKSUMTYPE of every file
)

// METS is the root element of a METS document.
type METS struct {
	XMLName   xml.Name `xml:"mets"`
	NS        string   `xml:"xmlns,attr"`
	XLink     string   `xml:"xmlns:xlink,attr"`
	CSIP      string   `xml:"xmlns:csip,attr"`
	ObjID     string   `xml:"OBJID,attr"`
	Label     string   `xml:"LABEL,attr,omitempty"`
	Type      string   `xml:"TYPE,attr"`
	OtherType string   `xml:"csip:OTHERTYPE,attr,omitempty"`
	CIType    string   `xml:"csip:CONTENTINFORMATIONTYPE,attr,omitempty"`
	OtherCI   string   `xml:"csip:OTHERCONTENTINFORMATIONTYPE,attr,omitempty"`
	Profile   string   `xml:"PROFILE,attr"`
	Header    Header   `xml:"metsHdr"`
	DmdSecs   []DmdSec `xml:"dmdSec"`
	AmdSecs   []AmdSec `xml:"amdSec"`
	FileSec   FileSec  `xml:"fileSec"`
	StructMap *StructMap
}

// StructMap is the structural map; Write sets it, Encode writes it as given.
type StructMap struct {
	XMLName xml.Name `xml:"structMap"`
	ID      string   `xml:"ID,attr,omitempty"`
	Type    string   `xml:"TYPE,attr"`
	Label   string   `xml:"LABEL,attr,omitempty"`
	Div     Div      `xml:"div"`
}

// Header is metsHdr: when the package was made and by whom; a SIP_hoso
// also names its submission agreement (the fileCode) as an altRecordID.
type Header struct {
	CreateDate   string        `xml:"CREATEDATE,attr"`
	RecordStatus string        `xml:"RECORDSTATUS,attr,omitempty"`
	PackageType  string        `xml:"csip:OAISPACKAGETYPE,attr,omitempty"`
	Agents       []Agent       `xml:"agent"`
	AltRecordIDs []AltRecordID `xml:"altRecordID,omitempty"`
}

// AltRecordID is an alternative identifier of the package, e.g. TYPE
// SUBMISSIONAGREEMENT.
type AltRecordID struct {
	Type string `xml:"TYPE,attr"`
	Text string `xml:",chardata"`
}

// Agent is a metsHdr agent: the organisation (ROLE CREATOR, TYPE ORGANIZATION)
// or the software (TYPE OTHER, OTHERTYPE SOFTWARE) with its version as a note.
type Agent struct {
	Role      string `xml:"ROLE,attr"`
	Type      string `xml:"TYPE,attr"`
	OtherType string `xml:"OTHERTYPE,attr,omitempty"`
	Name      string `xml:"name"`
	Note      *Note  `xml:"note,omitempty"`
}

// Note is an agent note; NoteType is csip:NOTETYPE, e.g. "SOFTWARE VERSION".
type Note struct {
	NoteType string `xml:"csip:NOTETYPE,attr,omitempty"`
	Text     string `xml:",chardata"`
}

// DmdSec is a descriptive metadata section: a file it refers to (Ref), or
// XML in another namespace it wraps (Wrap).
type DmdSec struct {
	ID      string  `xml:"ID,attr"`
	Created string  `xml:"CREATED,attr,omitempty"`
	Ref     *MdRef  `xml:"mdRef,omitempty"`
	Wrap    *MdWrap `xml:"mdWrap,omitempty"`
}

// MdWrap wraps metadata of type OTHER (OtherType names it) as XML.
type MdWrap struct {
	MDType      string  `xml:"MDTYPE,attr"`
	OtherMDType string  `xml:"OTHERMDTYPE,attr,omitempty"`
	Data        XMLData `xml:"xmlData"`
}

// XMLData holds wrapped XML: Content is a struct with an XMLName in its own namespace.
type XMLData struct {
	Content any
}

// AmdSec is an administrative metadata section with provenance references.
type AmdSec struct {
	ID         string       `xml:"ID,attr"`
	DigiprovMD []DigiprovMD `xml:"digiprovMD"`
}

// DigiprovMD is digital provenance metadata held in another file.
type DigiprovMD struct {
	ID  string `xml:"ID,attr"`
	Ref MdRef  `xml:"mdRef"`
}

// MdRef refers to a metadata file by relative URL, with its checksum and size.
type MdRef struct {
	LocType       string `xml:"LOCTYPE,attr"`
	XLinkType     string `xml:"xlink:type,attr"`
	Href          string `xml:"xlink:href,attr"`
	MDType        string `xml:"MDTYPE,attr"`
	MDTypeVersion string `xml:"MDTYPEVERSION,attr,omitempty"`
	MimeType      string `xml:"MIMETYPE,attr,omitempty"`
	Size          int64  `xml:"SIZE,attr"`
	Created       string `xml:"CREATED,attr,omitempty"`
	Checksum      string `xml:"CHECKSUM,attr"`
	ChecksumType  string `xml:"CHECKSUMTYPE,attr"`
}

// FileSec lists the package's files in groups.
type FileSec struct {
	ID     string    `xml:"ID,attr,omitempty"`
	Groups []FileGrp `xml:"fileGrp"`
}

// FileGrp is a group of files with one use, e.g. "Representations/Preservation".
type FileGrp struct {
	ID    string `xml:"ID,attr,omitempty"`
	Use   string `xml:"USE,attr"`
	Files []File `xml:"file"`
}

// File is one file with its SHA-256 checksum and size; Href is its path
// relative to the bag root, e.g. "data/originals/x.tif".
type File struct {
	ID           string `xml:"ID,attr"`
	MimeType     string `xml:"MIMETYPE,attr"`
	Size         int64  `xml:"SIZE,attr"`
	Created      string `xml:"CREATED,attr,omitempty"`
	Checksum     string `xml:"CHECKSUM,attr"`
	ChecksumType string `xml:"CHECKSUMTYPE,attr"`
	AdmID        string `xml:"ADMID,attr,omitempty"`
	Loc          FLocat `xml:"FLocat"`
}

// FLocat locates a file by relative URL.
type FLocat struct {
	LocType   string `xml:"LOCTYPE,attr"`
	XLinkType string `xml:"xlink:type,attr"`
	Href      string `xml:"xlink:href,attr"`
}

// Div is a structMap division; Mptrs point at other METS documents, Fptrs
// at file IDs.
type Div struct {
	ID    string `xml:"ID,attr,omitempty"`
	Type  string `xml:"TYPE,attr,omitempty"`
	Label string `xml:"LABEL,attr,omitempty"`
	DmdID string `xml:"DMDID,attr,omitempty"`
	AdmID string `xml:"ADMID,attr,omitempty"`
	Mptrs []Mptr `xml:"mptr"`
	Fptrs []Fptr `xml:"fptr"`
	Divs  []Div  `xml:"div"`
}

// Mptr points at another METS document, e.g. a representation's METS.xml;
// Title names its file ID.
type Mptr struct {
	LocType   string `xml:"LOCTYPE,attr"`
	XLinkType string `xml:"xlink:type,attr"`
	Href      string `xml:"xlink:href,attr"`
	Title     string `xml:"xlink:title,attr,omitempty"`
}

// Fptr points at a file of the fileSec.
type Fptr struct {
	FileID string `xml:"FILEID,attr"`
}

// NewFile returns a fileSec entry for the bag file href.
func NewFile(id, href, mime string, size int64, sha256 string) File {
	return File{ID: id, MimeType: mime, Size: size, Checksum: sha256, ChecksumType: ChecksumT,
		Loc: FLocat{LocType: "URL", XLinkType: "simple", Href: href}}
}

// NewMdRef returns a reference to the metadata file href of type mdType (e.g. "PREMIS").
func NewMdRef(href, mdType, mime string, size int64, sha256 string) MdRef {
	return MdRef{LocType: "URL", XLinkType: "simple", Href: href, MDType: mdType, MimeType: mime,
		Size: size, Checksum: sha256, ChecksumType: ChecksumT}
}

// Write writes m as an XML document with the METS, XLink and CSIP namespaces,
// and root as its single structMap of type PHYSICAL.
func Write(w io.Writer, m *METS, root Div) error {
	m.NS, m.XLink, m.CSIP = NS, XLinkNS, CSIPNS
	if m.Profile == "" {
		m.Profile = Profile
	}
	m.StructMap = &StructMap{Type: "PHYSICAL", Label: "CSIP", Div: root}
	return encode(w, m)
}

// Encode writes m as an XML document with the METS, XLink and CSIP
// namespaces, its profile and structMap as given.
func Encode(w io.Writer, m *METS) error {
	m.NS, m.XLink, m.CSIP = NS, XLinkNS, CSIPNS
	return encode(w, m)
}

func encode(w io.Writer, v any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("mets: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("mets: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// Listed is a file as a METS fileSec lists it.
type Listed struct {
	ID, Href     string
	Size         int64 // -1 when SIZE is absent or not a number
	Checksum     string
	ChecksumType string
}

// Files reads a METS document and returns every file of its fileSec, in document order.
func Files(r io.Reader) ([]Listed, error) {
	var doc struct {
		XMLName xml.Name `xml:"http://www.loc.gov/METS/ mets"`
		Groups  []struct {
			Files []struct {
				ID           string `xml:"ID,attr"`
				Size         string `xml:"SIZE,attr"`
				Checksum     string `xml:"CHECKSUM,attr"`
				ChecksumType string `xml:"CHECKSUMTYPE,attr"`
				Loc          []struct {
					Href string `xml:"http://www.w3.org/1999/xlink href,attr"`
				} `xml:"http://www.loc.gov/METS/ FLocat"`
			} `xml:"http://www.loc.gov/METS/ file"`
		} `xml:"http://www.loc.gov/METS/ fileSec>fileGrp"`
	}
	if err := xml.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("mets: %w", err)
	}
	var out []Listed
	for _, g := range doc.Groups {
		for _, f := range g.Files {
			l := Listed{ID: f.ID, Size: -1, Checksum: f.Checksum, ChecksumType: f.ChecksumType}
			if n, err := strconv.ParseInt(f.Size, 10, 64); err == nil {
				l.Size = n
			}
			if len(f.Loc) > 0 {
				l.Href = f.Loc[0].Href
			}
			out = append(out, l)
		}
	}
	return out, nil
}
