package server

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/catalogue"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
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

// The detail page shows which fields were read from the page and a catalogue/page
// disagreement, in Vietnamese and in English.
func TestDetailShowsFieldsFromPage(t *testing.T) {
	v, err := newViews()
	if err != nil {
		t.Fatal(err)
	}
	st := &queue.BatchStatus{ID: "b1", State: queue.StateComplete}
	doc := &queue.DocumentDetail{Doc: 0, Code: "H49.64.33.2025.02.VTLT.0000001", State: "done", FromPage: []string{"organName", "typeName"},
		Mismatches: []pipeline.Mismatch{{Field: "codeNumber", Catalogue: "313", Page: "312"}}}
	secret := &queue.DocumentDetail{Doc: 1, Code: "H49.64.33.2025.02.VTLT.0000002", State: "done", Secret: true}
	d := &queue.BatchDetail{Status: st, Files: []*queue.FileDetail{{Code: "H49.64.33.2025.02.VTLT", Documents: []*queue.DocumentDetail{doc, secret}}}}
	for lang, want := range map[string][]string{
		"vi": {"Đọc từ trang (mục lục để trống): organName, typeName", "Mục lục khác với trang</span> codeNumber: mục lục “313”, trên trang “312”"},
		"en": {"Read from the page (empty in the catalogue): organName, typeName", "Catalogue and page differ</span> codeNumber: catalogue “313”, page “312”"},
	} {
		var buf bytes.Buffer
		p := page{T: labels[lang], Lang: lang, Who: &principal{Role: "admin"}, Data: detailView{Summary: &BatchSummary{BatchStatus: st}, Detail: d}}
		if err := v.pages["detail"].ExecuteTemplate(&buf, "live", p); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s: the page lacks %q:\n%s", lang, w, buf.String())
			}
		}
		if strings.Count(buf.String(), "class=\"mismatch\"") != 1 {
			t.Errorf("%s: mismatches shown %d times", lang, strings.Count(buf.String(), "class=\"mismatch\""))
		}
	}
}
