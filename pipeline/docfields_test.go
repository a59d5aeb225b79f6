package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/catalogue"
)

// adminBatch makes a batch of admin samples: hồ sơ 1 holds s02 (công văn) and s03 (tờ
// trình), hồ sơ 2 holds s06 (phương án marked MẬT).
func adminBatch(t *testing.T) string {
	t.Helper()
	return makeAdminBatch(t, map[string]string{
		"H49.64.33.2022.01.VT/1/page-001.png":  "s02/page-001.png",
		"H49.64.33.2022.01.VT/2/page-001.tif":  "s03/page-001.tif",
		"H49.64.33.2023.02.MAT/1/page-001.png": "s06/page-001.png",
		"H49.64.33.2023.02.MAT/1/page-002.png": "s06/page-002.png",
	})
}

func makeAdminBatch(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for to, from := range files {
		data, err := os.ReadFile(filepath.Join(adminSamples, from))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(to))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fillAdminCatalogue fills the template for adminBatch as a clerk with little time would:
// the hồ sơ rows, and for the documents only what is at hand. s02 is left for the page
// to fill; s03's number is mistyped (342 for 341).
func fillAdminCatalogue(t *testing.T, dir string) {
	t.Helper()
	var buf bytes.Buffer
	if err := catalogue.Template(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][][]any{
		catalogue.SheetFiles: {
			{"H49.64.33.2022.01.VT", "Hồ sơ văn bản đi năm 2022", "Vĩnh viễn", "Công khai", "Việt", "2021", "2022", nil, nil, nil, nil, "Tốt", nil, "Số hóa", "H49.K1.G3.H12.50"},
			{"H49.64.33.2023.02.MAT", "Hồ sơ bảo vệ lễ hội năm 2023", "Vĩnh viễn", "Công khai", "Việt", "2023", "2023", nil, nil, nil, nil, "Tốt", nil, "Số hóa", "H49.K1.G3.H12.51"},
		},
		catalogue.SheetDocuments: {
			{"H49.64.33.2022.01.VT", 1},
			{"H49.64.33.2022.01.VT", 2, "342", "TTr-UBND", "17/12/2021", "Tờ trình"},
			{"H49.64.33.2023.02.MAT", 1},
		},
	}
	for sheet, rs := range rows {
		cols, _ := f.GetCols(sheet)
		for i, r := range rs {
			for j := range cols {
				var v any
				if j < len(r) {
					v = r[j]
				}
				cell, _ := excelize.CoordinatesToCellName(j+1, 3+i)
				if err := f.SetCellValue(sheet, cell, v); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := f.SaveAs(filepath.Join(dir, catalogue.XLSXName)); err != nil {
		t.Fatal(err)
	}
}

// TestCatalogueProcessFieldsExport is the clerk's whole path: template → fill → validate →
// process, with empty fields filled from the page, a mistyped number flagged, a MẬT
// document refused on an installation that is not isolated, and the package's catalogue
// exported and imported again.
func TestCatalogueProcessFieldsExport(t *testing.T) {
	dir := adminBatch(t)
	fillAdminCatalogue(t, dir)
	b, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	rep, err := Process(context.Background(), b, out, Options{Workers: 1, Producer: "sohoa test"})
	if !errors.Is(err, ErrIncomplete) {
		t.Fatalf("Process = %v, want the secret document failed", err)
	}
	if len(rep.Failures) != 1 || rep.Failures[0].Document != "H49.64.33.2023.02.MAT/1" || rep.Failures[0].Stage != StageFields ||
		!strings.Contains(rep.Failures[0].Reason, "tài liệu mang dấu MẬT: không được xử lý trên hệ thống không cô lập") {
		t.Fatalf("failures = %+v", rep.Failures)
	}
	bagDir := filepath.Join(out, rep.BatchID)
	rec := readRecord(t, bagDir)
	docs := rec.Files[0].Documents
	if len(docs) != 2 || len(rec.Files[1].Documents) != 1 {
		t.Fatalf("record: %d and %d documents", len(docs), len(rec.Files[1].Documents))
	}
	// s02: everything from the page, marked so.
	cv := docs[0]
	got := map[string]string{"typeName": cv.TypeName, "codeNumber": cv.CodeNumber, "codeNotation": cv.CodeNotation,
		"issuedDate": cv.IssuedDate, "organName": cv.OrganName}
	want := map[string]string{"typeName": "Công văn", "codeNumber": "33", "codeNotation": "SVHTTDL-QLVH",
		"issuedDate": "10/01/2022", "organName": "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("công văn filled from the page: %v, want %v", got, want)
	}
	for k := range want {
		if s := cv.FieldSources[k]; s.Source != catalogue.SourcePage || s.Confidence < minPageConfidence {
			t.Errorf("công văn %s: source %+v, want page with its confidence", k, s)
		}
	}
	if len(cv.Flags) != 0 || len(cv.Mismatches) != 0 {
		t.Errorf("công văn flags %v, mismatches %v", cv.Flags, cv.Mismatches)
	}
	// s03: the catalogue's number is kept and the disagreement flagged with both values.
	tt := docs[1]
	if tt.CodeNumber != "342" || tt.FieldSources["codeNumber"].Source != catalogue.SourceCatalogue || tt.FieldSources["organName"].Source != catalogue.SourcePage {
		t.Errorf("tờ trình: number %q, sources %v", tt.CodeNumber, tt.FieldSources)
	}
	wantMis := []Mismatch{{Field: "codeNumber", Catalogue: "342", Page: "341", Conf: tt.Mismatches[0].Conf}}
	if !reflect.DeepEqual(tt.Flags, []string{FlagMetadataMismatch}) || !reflect.DeepEqual(tt.Mismatches, wantMis) {
		t.Errorf("tờ trình flags %v, mismatches %+v, want %+v", tt.Flags, tt.Mismatches, wantMis)
	}
	// s06: refused; nothing read from its pages is recorded.
	secret := rec.Files[1].Documents[0]
	if secret.Status != "failed" || secret.Secrecy != "MẬT" || secret.PageFields != nil || secret.Subject != "" || secret.PDF != "" {
		t.Errorf("secret document recorded as %+v", secret)
	}

	// PREMIS says which values were read from the page, and the disagreement.
	premis, err := os.ReadFile(filepath.Join(bagDir, filepath.FromSlash(bag.PremisFile)))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<eventType>metadata extraction</eventType>", "codeNotation read from the page (confidence 0.",
		"codeNumber: catalogue &#34;342&#34; kept, the page reads &#34;341&#34; (metadata-mismatch)"} {
		if !strings.Contains(string(premis), want) {
			t.Errorf("premis.xml lacks %s", want)
		}
	}

	// Export, and the export read back as a catalogue gives the same metadata.
	var xlsx bytes.Buffer
	if err := catalogue.Export(bagDir, &xlsx); err != nil {
		t.Fatal(err)
	}
	again := adminBatch(t)
	if err := os.WriteFile(filepath.Join(again, catalogue.XLSXName), xlsx.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	b2, err := Load(context.Background(), again, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range b2.Files {
		if !reflect.DeepEqual(f.Meta, rec.Files[i].FileMeta) {
			t.Errorf("hồ sơ %d imported\n%+v\npackage\n%+v", i, f.Meta, rec.Files[i].FileMeta)
		}
		for j, d := range f.Documents {
			if !reflect.DeepEqual(d.Meta, rec.Files[i].Documents[j].DocMeta) {
				t.Errorf("document %d.%d imported\n%+v\npackage\n%+v", i, j, d.Meta, rec.Files[i].Documents[j].DocMeta)
			}
		}
	}
	if b2.ID != rec.ID || b2.Organisation != rec.Organisation {
		t.Errorf("batch %s %+v, package %s %+v", b2.ID, b2.Organisation, rec.ID, rec.Organisation)
	}
	// The export says where each value came from.
	wb, err := excelize.OpenReader(bytes.NewReader(xlsx.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	srcRows, _ := wb.GetRows(catalogue.SheetSources)
	found := false
	for _, r := range srcRows {
		found = found || (len(r) >= 4 && r[1] == "codeNotation" && r[2] == "SVHTTDL-QLVH" && r[3] == catalogue.SourcePage)
	}
	if !found {
		t.Errorf("sheet %s does not say codeNotation SVHTTDL-QLVH was read from the page: %v", catalogue.SheetSources, srcRows)
	}
	js, _ := json.Marshal(rec.Files[0].Documents[0].FieldSources)
	t.Logf("sources of the công văn: %s", js)
}
