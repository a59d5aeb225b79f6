package aip_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/aip"
)

// writeAIPs writes the AIPs of the fixture's bag into a new folder.
func writeAIPs(t *testing.T, bag string) (string, []aip.Result) {
	t.Helper()
	dir := t.TempDir()
	rs, err := aip.WriteAll(context.Background(), os.DirFS(bag), dir, aip.Options{Kind: aip.AIP, Fonds: "H49", ArchiveCode: "H49.LTLS"})
	if err != nil {
		t.Fatal(err)
	}
	return dir, rs
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is needed (scripts/deps.sh installs it): %v", name, err)
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// unzipTo extracts zip into a new folder and returns the package folder.
func unzipTo(t *testing.T, zip string) string {
	t.Helper()
	dir := t.TempDir()
	run(t, "unzip", "-q", zip, "-d", dir)
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) != 1 {
		t.Fatalf("%s holds %v, want one folder (%v)", zip, ents, err)
	}
	return filepath.Join(dir, ents[0].Name())
}

// TestAIPPackages writes the AIP_hoso of both hồ sơ of the sample batch and
// checks each: unzip -t, xmllint --nonet --schema of both METS (with the CSIP
// extension), both PREMIS files and every EAD / EAD_DOC against the schemas
// the package ships, the structural checker on the zip and on the folder,
// and what the files must hold.
func TestAIPPackages(t *testing.T) {
	dir, rs := writeAIPs(t, fixture.bag)
	if len(rs) != 2 {
		t.Fatalf("%d results, want 2 (one per hồ sơ)", len(rs))
	}
	schemas, _ := filepath.Abs("testdata/schemas")
	for _, r := range rs {
		if r.Err != nil || r.Package == nil {
			t.Fatalf("%s: %v", r.HoSo, r.Err)
		}
		p := r.Package
		if !regexp.MustCompile(`^urn:H49:uuid-[0-9A-F-]{36}$`).MatchString(p.ObjID) || p.Name != strings.ReplaceAll(p.ObjID, ":", "_")+".zip" ||
			p.Documents != 2 || p.Pages != 2 {
			t.Errorf("package %+v", p)
		}
		zipPath := filepath.Join(dir, p.Name)
		if out := run(t, "unzip", "-t", zipPath); !strings.Contains(out, "No errors detected") {
			t.Errorf("unzip -t %s:\n%s", p.Name, out)
		}
		rep, err := aip.CheckPath(context.Background(), zipPath, fixture.check)
		if err != nil || !rep.OK() || rep.Documents != 2 || len(rep.Signatures) != 2 || rep.Kind != aip.AIP {
			t.Fatalf("check %s: %v, %+v", p.Name, err, rep)
		}
		pkg := unzipTo(t, zipPath)
		if filepath.Base(pkg) != p.Folder {
			t.Errorf("folder in the zip %s, want %s", filepath.Base(pkg), p.Folder)
		}
		if rep, err := aip.CheckPath(context.Background(), pkg, fixture.check); err != nil || !rep.OK() {
			t.Errorf("check of the folder: %v, %+v", err, rep)
		}
		docs, _ := filepath.Glob(filepath.Join(pkg, "representations/rep1/metadata/descriptive/EAD_DOC_*.xml"))
		if len(docs) != 2 {
			t.Fatalf("%d EAD_DOC files, want 2", len(docs))
		}
		cases := []struct{ schema, file string }{
			{filepath.Join(schemas, "package.xsd"), filepath.Join(pkg, "METS.xml")},
			{filepath.Join(schemas, "package.xsd"), filepath.Join(pkg, "representations/rep1/METS.xml")},
			{filepath.Join(schemas, "premis-v3-0.xsd"), filepath.Join(pkg, "metadata/preservation/PREMIS.xml")},
			{filepath.Join(schemas, "premis-v3-0.xsd"), filepath.Join(pkg, "representations/rep1/metadata/preservation/PREMIS_rep1.xml")},
			{filepath.Join(pkg, "schemas/ead.xsd"), filepath.Join(pkg, "metadata/descriptive/EAD.xml")},
		}
		for _, d := range docs {
			cases = append(cases, struct{ schema, file string }{filepath.Join(pkg, "schemas/ead_doc.xsd"), d})
		}
		for _, c := range cases {
			if out := run(t, "xmllint", "--nonet", "--noout", "--schema", c.schema, c.file); !strings.Contains(out, "validates") {
				t.Errorf("xmllint --schema %s %s:\n%s", c.schema, c.file, out)
			}
		}
		read := func(rel string) string {
			data, err := os.ReadFile(filepath.Join(pkg, rel))
			if err != nil {
				t.Fatal(err)
			}
			return string(data)
		}
		for _, want := range []string{`PROFILE="http://www.ra.ee/METS/v01/IP.xml"`, `csip:OAISPACKAGETYPE="AIP"`, `RECORDSTATUS="NEW"`,
			`OTHERTYPE="SOFTWARE"`, `csip:NOTETYPE="IDENTIFICATIONCODE">H49<`, `CREATEDATE="2025-03-08T14:05:09.000+07:00"`,
			`MDTYPE="DC" MDTYPEVERSION="1.0.0"`, `MDTYPE="PREMIS"`, `xlink:href="representations/rep1/METS.xml"`, `LABEL="Schemas"`} {
			if !strings.Contains(read("METS.xml"), want) {
				t.Errorf("METS.xml lacks %s", want)
			}
		}
		rm := read("representations/rep1/METS.xml")
		for _, want := range []string{`PROFILE="https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"`, `LABEL="MetadataLink"`, `MIMETYPE="application/pdf"`} {
			if !strings.Contains(rm, want) {
				t.Errorf("rep1/METS.xml lacks %s", want)
			}
		}
		if n := strings.Count(rm, `LABEL="File"`); n != 2 {
			t.Errorf("rep1/METS.xml has %d MetadataLink/File divs, want 2", n)
		}
		ead := read("metadata/descriptive/EAD.xml")
		for _, want := range []string{"<arcFileCode>H49.LTLS." + r.HoSo + "</arcFileCode>", "<totalDoc>2</totalDoc>",
			"<numberOfPage>2</numberOfPage>", "<confidenceLevel>02</confidenceLevel>", "<paperFileCode>H49.K1.G3.H12.4"} {
			if !strings.Contains(ead, want) {
				t.Errorf("EAD.xml lacks %s:\n%s", want, ead)
			}
		}
		premis := read("representations/rep1/metadata/preservation/PREMIS_rep1.xml")
		for _, want := range []string{"<eventType>transfer</eventType>", "<eventType>normalization</eventType>",
			"<eventType>text recognition</eventType>", "<eventType>creation</eventType>", "<eventType>digital signature generation</eventType>",
			"<eventOutcome>success</eventOutcome>", "<formatRegistryKey>fmt/477</formatRegistryKey>", "<signer>Sở Nội vụ tỉnh Bắc Minh</signer>",
			"<messageDigestAlgorithm>SHA-256</messageDigestAlgorithm>", "<agentVersion>0.0.0-test</agentVersion>", "<agentType>organization</agentType>"} {
			if !strings.Contains(premis, want) {
				t.Errorf("PREMIS_rep1.xml lacks %s", want)
			}
		}
	}
	// The documents' metadata, carried through: the type as its TT 05 code, docCode, arcFileCode.
	doc := string(mustRead(t, unzipTo(t, filepath.Join(dir, rs[0].Package.Name)), "representations/rep1/metadata/descriptive/EAD_DOC_H49.64.33.2024.01.VTLT.2.xml"))
	for _, want := range []string{"<typeName>15</typeName>", "<docCode>H49.64.33.2024.01.VTLT.0000002</docCode>", "<docOrdinal>2</docOrdinal>",
		"<arcFileCode>H49.LTLS.H49.64.33.2024.01.VTLT</arcFileCode>", "<codeNotation>TTr-BV</codeNotation>", "<numberOfPage>1</numberOfPage>"} {
		if !strings.Contains(doc, want) {
			t.Errorf("EAD_DOC 2 lacks %s:\n%s", want, doc)
		}
	}
}

func mustRead(t *testing.T, dir, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestAIPDeterministic writes the packages twice: the same names and bytes.
func TestAIPDeterministic(t *testing.T) {
	d1, r1 := writeAIPs(t, fixture.bag)
	d2, r2 := writeAIPs(t, fixture.bag)
	if len(r1) != 2 || len(r2) != 2 {
		t.Fatalf("results %d, %d", len(r1), len(r2))
	}
	for i := range r1 {
		if r1[i].Package == nil || r2[i].Package == nil {
			t.Fatalf("%v / %v", r1[i].Err, r2[i].Err)
		}
		a, b := mustRead(t, d1, r1[i].Package.Name), mustRead(t, d2, r2[i].Package.Name)
		if r1[i].Package.Name != r2[i].Package.Name || !bytes.Equal(a, b) || r1[i].Package.SHA256 != r2[i].Package.SHA256 {
			t.Errorf("%s: two runs gave %s and %s", r1[i].HoSo, r1[i].Package.Name, r2[i].Package.Name)
		}
	}
	if r1[0].Package.ObjID == r1[1].Package.ObjID {
		t.Error("two hồ sơ share an OBJID")
	}
}

// copyBag copies the fixture's bag into a new folder to be changed.
func copyBag(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "bag")
	run(t, "cp", "-r", fixture.bag, dst)
	run(t, "chmod", "-R", "u+w", dst)
	return dst
}

// TestIncompleteHoSoHasNoAIP marks one document of the first hồ sơ failed in
// the batch record: that hồ sơ gets no package (ErrIncomplete), the other does.
func TestIncompleteHoSoHasNoAIP(t *testing.T) {
	bag := copyBag(t)
	rec := filepath.Join(bag, aip.RecordFile)
	data := mustRead(t, bag, aip.RecordFile)
	i := bytes.Index(data, []byte(`"status": "done"`))
	if i < 0 {
		t.Fatal("no done document in the record")
	}
	data = append(append(append([]byte(nil), data[:i]...), []byte(`"status": "failed"`)...), data[i+len(`"status": "done"`):]...)
	if err := os.WriteFile(rec, data, 0o644); err != nil {
		t.Fatal(err)
	}
	dir, rs := writeAIPs(t, bag)
	if len(rs) != 2 || rs[0].Package != nil || !errors.Is(rs[0].Err, aip.ErrIncomplete) || rs[1].Package == nil {
		t.Fatalf("results: %+v", rs)
	}
	files, _ := os.ReadDir(dir)
	if len(files) != 1 || files[0].Name() != rs[1].Package.Name {
		t.Errorf("folder holds %v, want only %s", files, rs[1].Package.Name)
	}
}

// TestUnknownTypeName refuses a package whose document's typeName is no TT 05 type, naming the list.
func TestUnknownTypeName(t *testing.T) {
	bag := copyBag(t)
	data := bytes.Replace(mustRead(t, bag, aip.RecordFile), []byte(`"typeName": "Tờ trình"`), []byte(`"typeName": "Tờ khai lạ"`), 1)
	if err := os.WriteFile(filepath.Join(bag, aip.RecordFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, rs := writeAIPs(t, bag)
	if rs[0].Package != nil || !errors.Is(rs[0].Err, aip.ErrMetadata) || !strings.Contains(rs[0].Err.Error(), `"Tờ khai lạ" is not a type of TT 05; allowed: 01 Nghị quyết`) {
		t.Errorf("unknown type name: %+v", rs[0])
	}
	if rs[1].Package == nil {
		t.Errorf("the other hồ sơ: %v", rs[1].Err)
	}
}
