package aip

import (
	"github.com/sohoa-vn/sohoa/pipeline/mets"
)

// Profiles of the METS files (tt05-packages.md §2).
const (
	ProfileAIP  = "http://www.ra.ee/METS/v01/IP.xml"
	ProfileCSIP = "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"
)

// entry is a file of the package as a METS file refers to it: in the CSIP
// shape, every mdRef and file with SHA-256 checksum, size, creation time and
// MIME type.
type entry struct {
	href    string // relative to the METS file's folder
	mime    string
	size    int64
	sha256  string // lower-case hex
	created string
}

func (e entry) mdRef(mdType, version string) *mets.MdRef {
	r := mets.NewMdRef(e.href, mdType, e.mime, e.size, upperHex(e.sha256))
	r.MDTypeVersion, r.Created = version, e.created
	return &r
}

func (e entry) file(id string) mets.File {
	f := mets.NewFile(id, e.href, e.mime, e.size, upperHex(e.sha256))
	f.Created = e.created
	return f
}
