package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sampleBatch is the demo batch shipped in testdata.
const sampleBatch = "../testdata/batch"

func TestLoadSampleBatch(t *testing.T) {
	b, err := Load(context.Background(), sampleBatch, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b.ID != "demo-2025-001" || len(b.Files) != 2 || b.Documents() != 4 || b.Pages() != 4 {
		t.Fatalf("batch %s: %d files, %d documents, %d pages", b.ID, len(b.Files), b.Documents(), b.Pages())
	}
	f := b.Files[0]
	if f.Meta.FileCode != "H49.64.33.2024.01.VTLT" || f.Meta.PaperFileCode == "" {
		t.Errorf("file meta = %+v", f.Meta)
	}
	d := f.Documents[0]
	if d.Meta.CodeNotation != "QĐ-UBND" || d.Meta.DocCode != "H49.64.33.2024.01.VTLT.0000001" || d.Meta.Mode != "01" {
		t.Errorf("doc meta = %+v", d.Meta)
	}
	if d.Pages[0].DPI != 300 || d.Pages[0].File != "H49.64.33.2024.01.VTLT/1/page-001.jpg" {
		t.Errorf("page = %+v", d.Pages[0])
	}
	// Loose files: each is a document, in natural file-name order.
	if got := b.Files[1].Documents[1].Source; got != "H49.64.33.2025.02.VTLT/02-bb-giao-nhan.jpg" {
		t.Errorf("second loose document = %s", got)
	}
}

// makeBatch writes a batch folder: files maps slash paths to contents; a value
// starting with "@" copies that sample page.
func makeBatch(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		data := []byte(content)
		if strings.HasPrefix(content, "@") {
			var err error
			if data, err = os.ReadFile(filepath.Join("../testdata/samples", content[1:])); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadWithoutSheet(t *testing.T) {
	dir := makeBatch(t, map[string]string{
		"H49.64.33.2019.01.VTLT/2/b.jpg":   "@bb-giao-nhan-p01.jpg",
		"H49.64.33.2019.01.VTLT/10/a.jpg":  "@bb-giao-nhan-p01.jpg",
		"H49.64.33.2019.01.VTLT/2/a.jpg":   "@bb-giao-nhan-p01.jpg",
		"H49.64.33.2019.01.VTLT/.DS_Store": "junk",
	})
	b, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	docs := b.Files[0].Documents
	if len(docs) != 2 || docs[0].Meta.DocOrdinal != 2 || docs[1].Meta.DocOrdinal != 10 {
		t.Fatalf("documents not in ordinal order: %+v", docs)
	}
	if docs[0].Pages[0].File != "H49.64.33.2019.01.VTLT/2/a.jpg" || docs[0].Pages[1].Index != 2 {
		t.Errorf("pages not in file-name order: %+v %+v", docs[0].Pages[0], docs[0].Pages[1])
	}
	if b.Organisation.Identifier != "H49.64.33" || b.Files[0].Meta.ConfidenceLevel != "02" {
		t.Errorf("defaults: org %+v, file %+v", b.Organisation, b.Files[0].Meta)
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	dir := makeBatch(t, map[string]string{
		"batch.json": `{"id": "b 1", "files": [
			{"fileCode": "H49.64.33.2019.01.VTLT", "maintenance": "09", "mode": "01", "startDate": "31/02/2019",
			 "paperFileCode": "X.1.2", "colour": "red", "riskRecovery": 1,
			 "documents": [{"docOrdinal": 1, "typeName": "Tờ khai lạ", "codeNumber": "5", "codeNotation": "qđ-ubnd", "issuedDate": "2019-02-14"},
			               {"docOrdinal": 7}]},
			{"fileCode": "H49.64.33.2019.02.VTLT"}]}`,
		"H49.64.33.2019.01.VTLT/1/a.jpg":     "@bb-giao-nhan-p01.jpg",
		"H49.64.33.2019.01.VTLT/1/notes.txt": "n",
		"BADCODE/a.jpg":                      "@bb-giao-nhan-p01.jpg",
		"loose.jpg":                          "@bb-giao-nhan-p01.jpg",
	})
	_, err := Load(context.Background(), dir, LoadOptions{})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want *ValidationError", err)
	}
	msg := err.Error()
	for _, want := range []string{
		`id = "b 1"`,
		`files[0].maintenance = "09": not an allowed code; allowed: 01 Vĩnh viễn`,
		`files[0].startDate = "31/02/2019": not a valid date`,
		`files[0].colour: unknown field`,
		`files[0].documents[0].codeNumber = "5"`,
		`files[0].documents[0].codeNotation = "qđ-ubnd"`,
		`files[0].documents[0].issuedDate = "2019-02-14": not a valid date; expected DD/MM/YYYY`,
		`files[0].documents[1].docOrdinal = "7": no document with that ordinal`,
		`files[0].documents[0].typeName = "Tờ khai lạ": not a document type of TT 05/2025 (a code 01–32 or its name); allowed: 01 Nghị quyết`,
		`files[0].riskRecoveryStatus: required when riskRecovery is 1`,
		`files[1].fileCode = "H49.64.33.2019.02.VTLT": no folder of that name`,
		`H49.64.33.2019.01.VTLT/1/notes.txt: not a supported page image`,
		`BADCODE/: fileCode = "BADCODE": expected <agency identifier`,
		`loose.jpg: a loose file`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("validation error lacks %q\n%s", want, msg)
		}
	}
}

func TestLoadResolution(t *testing.T) {
	// The PNG sample records its dpi; strip it by writing a 150-dpi JPEG header instead.
	data, err := os.ReadFile("../testdata/samples/bb-giao-nhan-p01.jpg")
	if err != nil {
		t.Fatal(err)
	}
	low := append([]byte(nil), data...)
	// JFIF APP0: density units at offset 13, X density 14-15, Y density 16-17.
	if string(low[6:10]) != "JFIF" {
		t.Fatal("sample is not JFIF")
	}
	low[13], low[14], low[15], low[16], low[17] = 1, 0, 150, 0, 150
	none := append([]byte(nil), data...)
	none[13], none[14], none[15], none[16], none[17] = 0, 0, 1, 0, 1
	dir := makeBatch(t, map[string]string{
		"H49.64.33.2019.01.VTLT/low.jpg":  string(low),
		"H49.64.33.2019.01.VTLT/none.jpg": string(none),
	})
	_, err = Load(context.Background(), dir, LoadOptions{})
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	for _, want := range []string{
		"H49.64.33.2019.01.VTLT/low.jpg page 1: resolution 150 dpi (as recorded in the file) is under the 200 dpi minimum",
		"H49.64.33.2019.01.VTLT/none.jpg page 1: the file records no resolution: give it with --dpi N",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q\n%s", want, msg)
		}
	}

	// Issue 10 item 5: --dpi never overrides a resolution the file records.
	_, err = Load(context.Background(), dir, LoadOptions{DPI: 300})
	if err == nil || !strings.Contains(err.Error(), "H49.64.33.2019.01.VTLT/low.jpg page 1: resolution 150 dpi (as recorded in the file) is under the 200 dpi minimum") ||
		strings.Contains(err.Error(), "none.jpg") {
		t.Fatalf("150-dpi file with --dpi 300: %v; want it refused (and only it)", err)
	}

	// --dpi supplies what a file does not record, or records as 72 (a
	// placeholder); a recorded 300 stays 300 whatever --dpi says; the
	// package's record keeps each file's own value.
	placeholder := append([]byte(nil), data...)
	placeholder[13], placeholder[14], placeholder[15], placeholder[16], placeholder[17] = 1, 0, 72, 0, 72
	dir = makeBatch(t, map[string]string{
		"H49.64.33.2019.01.VTLT/1-none.jpg": string(none),
		"H49.64.33.2019.01.VTLT/2-72.jpg":   string(placeholder),
		"H49.64.33.2019.01.VTLT/3-300.jpg":  "@qd-chinh-ly-p01.jpg",
	})
	b, err := Load(context.Background(), dir, LoadOptions{DPI: 250})
	if err != nil {
		t.Fatalf("with --dpi 250: %v", err)
	}
	rec := newRecord(b, Options{}, time.Now())
	for i, want := range []struct{ dpi, file float64 }{{250, 0}, {250, 72}, {300, 300}} {
		pg := b.Files[0].Documents[i].Pages[0]
		pr := rec.Files[0].Documents[i].Pages[0]
		if pg.DPI != want.dpi || pr.DPI != want.dpi || pr.FileDPI != want.file {
			t.Errorf("%s: dpi %v (record %v, file %v), want %v (file %v)", pg.File, pg.DPI, pr.DPI, pr.FileDPI, want.dpi, want.file)
		}
	}
	if _, err := Load(context.Background(), dir, LoadOptions{DPI: 150}); err == nil || !strings.Contains(err.Error(), "2-72.jpg page 1: --dpi 150 is under the 200 dpi minimum") {
		t.Errorf("--dpi 150 on a 72-dpi file: %v, want refused", err)
	}
	if _, err := Load(context.Background(), dir, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "2-72.jpg page 1: the file records 72 dpi, which scanners write when they record no resolution") {
		t.Errorf("72-dpi file without --dpi: %v, want refused", err)
	}
}

func TestSecretRefusedUnlessIsolated(t *testing.T) {
	dir := makeBatch(t, map[string]string{
		"batch.json":                   `{"files": [{"fileCode": "H49.64.33.2019.01.VTLT", "paperFileCode": "H49.K1.1", "documents": [{"docOrdinal": 1, "mode": "03"}]}]}`,
		"H49.64.33.2019.01.VTLT/a.jpg": "@bb-giao-nhan-p01.jpg",
	})
	_, err := Load(context.Background(), dir, LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "secret document") {
		t.Fatalf("secret document accepted: %v", err)
	}
	if _, err := Load(context.Background(), dir, LoadOptions{Isolated: true}); err != nil {
		t.Fatalf("isolated installation refused a secret document: %v", err)
	}
}

func TestNaturalOrder(t *testing.T) {
	names := []string{"p10.jpg", "p2.jpg", "p1.jpg", "p02b.jpg", "a.jpg"}
	sortNatural(names)
	if got := strings.Join(names, " "); got != "a.jpg p1.jpg p2.jpg p02b.jpg p10.jpg" {
		t.Errorf("natural order: %s", got)
	}
}

// TestLoadTextEncoding is issue 10 item 4: a batch.json that is not UTF-8
// (saved in Windows-1258) is refused, naming the file and the byte offset;
// a UTF-8 byte order mark is accepted and dropped.
func TestLoadTextEncoding(t *testing.T) {
	const sheet = `{"id": "lo-1258", "organisation": {"name": "Sở Nội vụ", "identifier": "H49.64.33"},
 "files": [{"fileCode": "H49.64.33.2024.01.VTLT", "title": "TITLE", "paperFileCode": "H49.K1.G3.H12.45"}]}`
	page := map[string]string{"H49.64.33.2024.01.VTLT/1/page-001.jpg": "@qd-chinh-ly-p01.jpg"}
	with := func(js string) string {
		files := map[string]string{"batch.json": js}
		for k, v := range page {
			files[k] = v
		}
		return makeBatch(t, files)
	}

	// "Hồ sơ" as Windows-1258 writes it: 0xD4 and 0xF5 are not UTF-8 on their own.
	cp1258 := strings.Replace(sheet, "TITLE", "H\xd4 s\xf5", 1)
	offset := strings.Index(cp1258, "\xd4")
	_, err := Load(context.Background(), with(cp1258), LoadOptions{})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Windows-1258 batch.json: %v, want a ValidationError", err)
	}
	found := false
	for _, p := range ve.Problems {
		if p.File == MetadataFile && strings.Contains(p.What, "not valid UTF-8 at byte offset "+strconv.Itoa(offset)) && p.Value == "byte 0xD4" {
			found = true
		}
	}
	if !found {
		t.Errorf("problems %v lack batch.json: not valid UTF-8 at byte offset %d", ve.Problems, offset)
	}

	// The same with a BOM: the offset still counts from the start of the file.
	_, err = Load(context.Background(), with("\xef\xbb\xbf"+cp1258), LoadOptions{})
	if !errors.As(err, &ve) || !strings.Contains(ve.Error(), "byte offset "+strconv.Itoa(offset+3)) {
		t.Errorf("BOM + Windows-1258: %v, want offset %d", err, offset+3)
	}

	// UTF-8 with a BOM loads, the title intact.
	b, err := Load(context.Background(), with("\xef\xbb\xbf"+strings.Replace(sheet, "TITLE", "Hồ sơ chỉnh lý", 1)), LoadOptions{})
	if err != nil {
		t.Fatalf("UTF-8 batch.json with a BOM: %v", err)
	}
	if b.ID != "lo-1258" || b.Files[0].Meta.Title != "Hồ sơ chỉnh lý" {
		t.Errorf("batch %s, title %q", b.ID, b.Files[0].Meta.Title)
	}
}

// TestReservedBatchID refuses the batch id "aip", the archive's prefix of the
// AIP_hoso packages: its package would share their keys.
func TestReservedBatchID(t *testing.T) {
	dir := makeBatch(t, map[string]string{
		"batch.json":                     `{"id": "aip", "files": [{"fileCode": "H49.64.33.2019.01.VTLT", "paperFileCode": "H49.K1.1"}]}`,
		"H49.64.33.2019.01.VTLT/1/a.jpg": "@bb-giao-nhan-p01.jpg",
	})
	_, err := Load(context.Background(), dir, LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), `id = "aip": reserved`) {
		t.Errorf("batch id aip: %v", err)
	}
}
