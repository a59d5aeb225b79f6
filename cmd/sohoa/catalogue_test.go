package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The clerk's commands: a template, filled in, validated with messages at cells in
// Vietnamese, or in English with --lang-ui en or an English locale.
func TestCatalogueTemplateAndValidate(t *testing.T) {
	t.Setenv("LC_ALL", "vi_VN.UTF-8")
	dir := t.TempDir()
	book := filepath.Join(dir, "mucluc.xlsx")
	if code, out, errOut := sohoa(t, "catalogue", "template", "--out", book); code != exitOK || !strings.Contains(out, "wrote") {
		t.Fatalf("template: exit %d %s %s", code, out, errOut)
	}
	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	sheets := strings.Join(f.GetSheetList(), ",")
	for _, s := range []string{"Hồ sơ", "Văn bản", "Lô", "Hướng dẫn"} {
		if !strings.Contains(sheets, s) {
			t.Errorf("sheets %s lack %s", sheets, s)
		}
	}
	if v, _ := f.GetCellValue("Văn bản", "E2"); v != "issuedDate" {
		t.Errorf("Văn bản!E2 = %q, want the tag issuedDate", v)
	}
	dvs, _ := f.GetDataValidations("Hồ sơ")
	if len(dvs) < 6 {
		t.Errorf("Hồ sơ has %d drop-down lists", len(dvs))
	}
	batch := filepath.Join(dir, "batch")
	os.MkdirAll(filepath.Join(batch, "H49.64.33.2024.01.VTLT", "1"), 0o755)
	data, _ := os.ReadFile("../../testdata/batch/H49.64.33.2024.01.VTLT/1/page-001.jpg")
	os.WriteFile(filepath.Join(batch, "H49.64.33.2024.01.VTLT", "1", "page-001.jpg"), data, 0o644)
	f.SetCellValue("Văn bản", "E3", "32/13/2024") // over the example row
	f.SetCellValue("Văn bản", "A3", "H49.64.33.2024.01.VTLT")
	if err := f.SaveAs(filepath.Join(batch, "mucluc.xlsx")); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := sohoa(t, "validate", batch)
	if code != exitInvalid || !strings.Contains(errOut, `Văn bản!E3: "32/13/2024" không phải ngày hợp lệ (DD/MM/YYYY)`) {
		t.Errorf("validate: exit %d\n%s", code, errOut)
	}
	code, _, errOut = sohoa(t, "validate", "--lang-ui", "en", batch)
	if code != exitInvalid || !strings.Contains(errOut, `Văn bản!E3: "32/13/2024" not a valid date; expected DD/MM/YYYY`) {
		t.Errorf("validate --lang-ui en: exit %d\n%s", code, errOut)
	}
	t.Setenv("LC_ALL", "en_GB.UTF-8")
	if code, _, errOut = sohoa(t, "validate", batch); !strings.Contains(errOut, "not a valid date") {
		t.Errorf("validate under an English locale: exit %d\n%s", code, errOut)
	}
}
