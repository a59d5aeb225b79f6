package aip

import (
	"encoding/xml"
	"fmt"
	"io"

	"github.com/sohoa-vn/sohoa/pipeline/mets"
)

// Profiles of the METS files (tt05-packages.md §2).
const (
	ProfileAIP  = "http://www.ra.ee/METS/v01/IP.xml"
	ProfileCSIP = "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"
)

// The METS elements an AIP_hoso or SIP_hoso uses, in the CSIP shape: every
// mdRef and file with SHA-256 checksum, size, creation time and MIME type.
type xMETS struct {
	XMLName   xml.Name   `xml:"mets"`
	NS        string     `xml:"xmlns,attr"`
	XLink     string     `xml:"xmlns:xlink,attr"`
	CSIP      string     `xml:"xmlns:csip,attr"`
	ObjID     string     `xml:"OBJID,attr"`
	Label     string     `xml:"LABEL,attr,omitempty"`
	Type      string     `xml:"TYPE,attr"`
	CIType    string     `xml:"csip:CONTENTINFORMATIONTYPE,attr"`
	Profile   string     `xml:"PROFILE,attr"`
	Header    xHeader    `xml:"metsHdr"`
	DmdSecs   []xDmdSec  `xml:"dmdSec"`
	AmdSec    xAmdSec    `xml:"amdSec"`
	FileSec   xFileSec   `xml:"fileSec"`
	StructMap xStructMap `xml:"structMap"`
}

type xHeader struct {
	CreateDate   string       `xml:"CREATEDATE,attr"`
	RecordStatus string       `xml:"RECORDSTATUS,attr"`
	PackageType  string       `xml:"csip:OAISPACKAGETYPE,attr"`
	Agents       []xAgent     `xml:"agent"`
	AltRecordIDs []xAltRecord `xml:"altRecordID,omitempty"`
}

type xAgent struct {
	Role      string `xml:"ROLE,attr"`
	Type      string `xml:"TYPE,attr"`
	OtherType string `xml:"OTHERTYPE,attr,omitempty"`
	Name      string `xml:"name"`
	Note      *struct {
		NoteType string `xml:"csip:NOTETYPE,attr"`
		Text     string `xml:",chardata"`
	} `xml:"note,omitempty"`
}

type xAltRecord struct {
	Type string `xml:"TYPE,attr"`
	Text string `xml:",chardata"`
}

type xDmdSec struct {
	ID      string `xml:"ID,attr"`
	Created string `xml:"CREATED,attr"`
	Ref     xMdRef `xml:"mdRef"`
}

type xAmdSec struct {
	ID         string        `xml:"ID,attr,omitempty"`
	DigiprovMD []xDigiprovMD `xml:"digiprovMD"`
}

type xDigiprovMD struct {
	ID  string `xml:"ID,attr"`
	Ref xMdRef `xml:"mdRef"`
}

type xMdRef struct {
	LocType      string `xml:"LOCTYPE,attr"`
	XLinkType    string `xml:"xlink:type,attr"`
	Href         string `xml:"xlink:href,attr"`
	MDType       string `xml:"MDTYPE,attr"`
	MDTypeVer    string `xml:"MDTYPEVERSION,attr,omitempty"`
	MimeType     string `xml:"MIMETYPE,attr"`
	Size         int64  `xml:"SIZE,attr"`
	Created      string `xml:"CREATED,attr"`
	Checksum     string `xml:"CHECKSUM,attr"`
	ChecksumType string `xml:"CHECKSUMTYPE,attr"`
}

type xFileSec struct {
	ID     string     `xml:"ID,attr"`
	Groups []xFileGrp `xml:"fileGrp"`
}

type xFileGrp struct {
	ID    string  `xml:"ID,attr"`
	Use   string  `xml:"USE,attr"`
	Files []xFile `xml:"file"`
}

type xFile struct {
	ID           string  `xml:"ID,attr"`
	MimeType     string  `xml:"MIMETYPE,attr"`
	Size         int64   `xml:"SIZE,attr"`
	Created      string  `xml:"CREATED,attr"`
	Checksum     string  `xml:"CHECKSUM,attr"`
	ChecksumType string  `xml:"CHECKSUMTYPE,attr"`
	Loc          xFLocat `xml:"FLocat"`
}

type xFLocat struct {
	LocType   string `xml:"LOCTYPE,attr"`
	XLinkType string `xml:"xlink:type,attr"`
	Href      string `xml:"xlink:href,attr"`
}

type xStructMap struct {
	ID    string `xml:"ID,attr"`
	Type  string `xml:"TYPE,attr"`
	Label string `xml:"LABEL,attr"`
	Div   xDiv   `xml:"div"`
}

type xDiv struct {
	ID    string  `xml:"ID,attr"`
	Label string  `xml:"LABEL,attr"`
	DmdID string  `xml:"DMDID,attr,omitempty"`
	AdmID string  `xml:"ADMID,attr,omitempty"`
	Mptrs []xMptr `xml:"mptr"`
	Fptrs []xFptr `xml:"fptr"`
	Divs  []xDiv  `xml:"div"`
}

type xMptr struct {
	LocType   string `xml:"LOCTYPE,attr"`
	XLinkType string `xml:"xlink:type,attr"`
	Href      string `xml:"xlink:href,attr"`
	Title     string `xml:"xlink:title,attr,omitempty"`
}

type xFptr struct {
	FileID string `xml:"FILEID,attr"`
}

// entry is a file of the package as a METS file refers to it.
type entry struct {
	href    string // relative to the METS file's folder
	mime    string
	size    int64
	sha256  string // lower-case hex
	created string
}

func (e entry) mdRef(mdType, version string) xMdRef {
	return xMdRef{LocType: "URL", XLinkType: "simple", Href: e.href, MDType: mdType, MDTypeVer: version,
		MimeType: e.mime, Size: e.size, Created: e.created, Checksum: upperHex(e.sha256), ChecksumType: mets.ChecksumT}
}

func (e entry) file(id string) xFile {
	return xFile{ID: id, MimeType: e.mime, Size: e.size, Created: e.created, Checksum: upperHex(e.sha256),
		ChecksumType: mets.ChecksumT, Loc: xFLocat{LocType: "URL", XLinkType: "simple", Href: e.href}}
}

func writeXML(w io.Writer, v any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("xml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
