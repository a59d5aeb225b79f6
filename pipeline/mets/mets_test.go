package mets

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

type desc struct {
	XMLName xml.Name `xml:"urn:test d"`
	Code    string   `xml:"code"`
}

func TestWriteAndReadFiles(t *testing.T) {
	m := &METS{ObjID: "b1", Type: "OTHER", Header: Header{CreateDate: "2025-01-02T03:04:05+07:00"},
		DmdSecs: []DmdSec{{ID: "dmd-1", Wrap: &MdWrap{MDType: "OTHER", Data: XMLData{Content: desc{Code: "H49.1"}}}}},
		FileSec: FileSec{Groups: []FileGrp{{Use: "Originals", Files: []File{
			NewFile("file-1", "data/originals/a b.tif", "image/tiff", 42, strings.Repeat("a", 64)),
			NewFile("file-2", "data/x/x.1.pdf", "application/pdf", 7, strings.Repeat("b", 64)),
		}}}},
	}
	var buf bytes.Buffer
	if err := Write(&buf, m, Div{ID: "div-1", Fptrs: []Fptr{{FileID: "file-1"}}}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{`<mets xmlns="http://www.loc.gov/METS/"`, `xmlns:xlink="http://www.w3.org/1999/xlink"`,
		`<xmlData>`, `<d xmlns="urn:test">`, `<code>H49.1</code>`, `xlink:href="data/originals/a b.tif"`,
		`CHECKSUMTYPE="SHA-256"`, `<structMap TYPE="PHYSICAL"`, `PROFILE="` + Profile + `"`} {
		if !strings.Contains(out, want) {
			t.Errorf("METS lacks %s:\n%s", want, out)
		}
	}
	files, err := Files(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0].Href != "data/originals/a b.tif" || files[0].Size != 42 ||
		files[1].Checksum != strings.Repeat("b", 64) || files[1].ChecksumType != "SHA-256" || files[1].ID != "file-2" {
		t.Errorf("files read back: %+v", files)
	}
}

func TestFilesRejectsOtherDocuments(t *testing.T) {
	if _, err := Files(strings.NewReader(`<premis xmlns="http://www.loc.gov/premis/v3"/>`)); err == nil {
		t.Error("a PREMIS document was read as METS")
	}
}
