package server

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/sohoa-vn/sohoa/pipeline/catalogue"
)

// An upload described by a catalogue instead of batch.json takes its id from the sheet Lô.
func TestHasIDFromCatalogue(t *testing.T) {
	dir := t.TempDir()
	if hasID(dir) {
		t.Fatal("an empty folder has an id")
	}
	var buf bytes.Buffer
	if err := catalogue.Template(&buf); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, catalogue.XLSXName), buf.Bytes(), 0o644)
	if hasID(dir) {
		t.Error("a catalogue without a batch id has an id")
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	f.SetCellValue(catalogue.SheetBatch, "C1", "lo-2025-07")
	if err := f.SaveAs(filepath.Join(dir, catalogue.XLSXName)); err != nil {
		t.Fatal(err)
	}
	if !hasID(dir) {
		t.Error("the catalogue's batch id is not seen")
	}
}
