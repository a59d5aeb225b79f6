package aip_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/aip"
)

// TestSIPPackages writes the SIP_hoso of one hồ sơ (Phụ lục III): no PREMIS,
// an empty amdSec, uuid- OBJID, altRecordID = fileCode, 21-field EAD_DOC,
// named [order][OBJID]; xmllint and the checker pass it.
func TestSIPPackages(t *testing.T) {
	dir := t.TempDir()
	b, err := aip.ReadBatch(os.DirFS(fixture.bag))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := aip.WriteBatch(context.Background(), os.DirFS(fixture.bag), b, dir, aip.Options{Kind: aip.SIP, Order: 3}, []string{"H49.64.33.2025.02.VTLT"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Package == nil {
		t.Fatalf("results %+v", rs)
	}
	p := rs[0].Package
	if !regexp.MustCompile(`^uuid-[0-9A-F-]{36}$`).MatchString(p.ObjID) || p.Name != "3"+strings.ToLower(p.ObjID)+".zip" || p.Folder != p.ObjID {
		t.Errorf("package %+v", p)
	}
	zipPath := filepath.Join(dir, p.Name)
	if out := run(t, "unzip", "-t", zipPath); !strings.Contains(out, "No errors detected") {
		t.Errorf("unzip -t:\n%s", out)
	}
	rep, err := aip.CheckPath(context.Background(), zipPath, fixture.check)
	if err != nil || !rep.OK() || rep.Kind != aip.SIP || rep.Documents != 2 {
		t.Fatalf("check: %v %+v", err, rep)
	}
	pkg := unzipTo(t, zipPath)
	schemas, _ := filepath.Abs("testdata/schemas")
	if m, _ := filepath.Glob(filepath.Join(pkg, "**", "PREMIS*")); len(m) != 0 {
		t.Errorf("a SIP holds PREMIS: %v", m)
	}
	docs, _ := filepath.Glob(filepath.Join(pkg, "representations/rep1/metadata/descriptive/EAD_DOC_*.xml"))
	cases := [][2]string{
		{filepath.Join(schemas, "sip-package.xsd"), filepath.Join(pkg, "METS.xml")},
		{filepath.Join(schemas, "sip-package.xsd"), filepath.Join(pkg, "representations/rep1/METS.xml")},
		{filepath.Join(pkg, "schemas/ead.xsd"), filepath.Join(pkg, "metadata/descriptive/EAD.xml")},
	}
	for _, d := range docs {
		cases = append(cases, [2]string{filepath.Join(pkg, "schemas/ead_doc.xsd"), d})
	}
	if len(docs) != 2 {
		t.Fatalf("EAD_DOC files %v", docs)
	}
	for _, c := range cases {
		if out := run(t, "xmllint", "--nonet", "--noout", "--schema", c[0], c[1]); !strings.Contains(out, "validates") {
			t.Errorf("xmllint --schema %s %s:\n%s", c[0], c[1], out)
		}
	}
	m := string(mustRead(t, pkg, "METS.xml"))
	for _, want := range []string{`csip:OAISPACKAGETYPE="SIP"`, `<altRecordID TYPE="SUBMISSIONAGREEMENT">H49.64.33.2025.02.VTLT</altRecordID>`,
		`PROFILE="https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"`, `OBJID="` + p.ObjID + `"`} {
		if !strings.Contains(m, want) {
			t.Errorf("METS.xml lacks %s", want)
		}
	}
	if regexp.MustCompile(`<amdSec[^>]*>\s*<digiprovMD`).MatchString(m) || strings.Contains(m, "PREMIS") {
		t.Error("a SIP's amdSec is not empty")
	}
	doc := string(mustRead(t, pkg, "representations/rep1/metadata/descriptive/EAD_DOC_H49.64.33.2025.02.VTLT.1.xml"))
	for _, want := range []string{"<docId>H49.64.33.2025.02.VTLT.1</docId>", "<docCode>H49.64.33.2025.02.VTLT.0000001</docCode>",
		"<maintenance>02</maintenance>", "<typeName>22</typeName>"} {
		if !strings.Contains(doc, want) {
			t.Errorf("EAD_DOC lacks %s:\n%s", want, doc)
		}
	}
	if ead := string(mustRead(t, pkg, "metadata/descriptive/EAD.xml")); !strings.Contains(ead, "<fileCode>H49.64.33.2025.02.VTLT</fileCode>") {
		t.Errorf("EAD.xml:\n%s", ead)
	}
}
