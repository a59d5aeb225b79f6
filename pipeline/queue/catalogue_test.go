package queue

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/catalogue"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
)

// runToRecord runs the workers until batch id is packaged complete and
// returns its package's folder and batch record.
func runToRecord(t *testing.T, q *Queue, id string) (string, []byte) {
	t.Helper()
	_, stop := startWorker(t, q, 2)
	defer stop()
	if st := waitFinished(t, q, id, batchLimit); st.State != StateComplete {
		t.Fatalf("status = %+v", st)
	}
	pkg, _ := testenv.FetchPackage(t, q.stores.Archive, id)
	data, err := os.ReadFile(filepath.Join(pkg, filepath.FromSlash(bag.BatchRecordFile)))
	if err != nil {
		t.Fatal(err)
	}
	return pkg, data
}

// A batch described by mucluc.csv instead of batch.json goes through submit and the
// workers like any other: the catalogue is uploaded with the pages and read again by the
// worker with the same rules, and the package carries its metadata.
func TestCatalogueBatchThroughQueue(t *testing.T) {
	q, inbox, _ := newTestQueue(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "mucluc-2025-01")
	src := "../../testdata/batch/H49.64.33.2025.02.VTLT"
	os.MkdirAll(filepath.Join(dir, "H49.64.33.2025.02.VTLT"), 0o755)
	for _, n := range []string{"01-cv-giao-nop.png", "02-bb-giao-nhan.jpg"} {
		data, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "H49.64.33.2025.02.VTLT", n), data, 0o644)
	}
	os.WriteFile(filepath.Join(dir, catalogue.CSVFilesName), []byte("\ufeffMã hồ sơ,Tiêu đề hồ sơ,Thời hạn lưu trữ,Mã hồ sơ gốc giấy\n"+
		"fileCode,title,maintenance,paperFileCode\nH49.64.33.2025.02.VTLT,Hồ sơ giao nộp năm 2025,70 năm,H49.K1.G3.H12.46\n"), 0o644)
	os.WriteFile(filepath.Join(dir, catalogue.CSVName), []byte("\ufeffMã hồ sơ,STT,Số,Ký hiệu,Ngày,Trích yếu\n"+
		"fileCode,docOrdinal,codeNumber,codeNotation,issuedDate,subject\n"+
		"H49.64.33.2025.02.VTLT,1,313,CCVTLT-NVLT,17/9/2025,\"V/v giao nộp hồ sơ, tài liệu vào Lưu trữ lịch sử tỉnh\"\n"), 0o644)
	b, err := pipeline.Load(ctx, dir, pipeline.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Submit(ctx, b, pipeline.LoadOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{catalogue.CSVName, catalogue.CSVFilesName} {
		r, err := inbox.Get(ctx, b.ID+"/"+n)
		if err != nil {
			t.Fatalf("%s not uploaded: %v", n, err)
		}
		io.Copy(io.Discard, r)
		r.Close()
	}
	_, data := runToRecord(t, q, b.ID)
	var rec struct {
		Files []struct {
			Title       string `json:"title"`
			Maintenance string `json:"maintenance"`
			Documents   []struct {
				CodeNumber   string                           `json:"codeNumber"`
				IssuedDate   string                           `json:"issuedDate"`
				Subject      string                           `json:"subject"`
				FieldSources map[string]catalogue.FieldSource `json:"fieldSources"`
			} `json:"documents"`
		} `json:"files"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	f := rec.Files[0]
	if f.Title != "Hồ sơ giao nộp năm 2025" || f.Maintenance != "02" || len(f.Documents) != 2 {
		t.Fatalf("package hồ sơ: %+v", f)
	}
	d := f.Documents[0]
	if d.CodeNumber != "313" || d.IssuedDate != "17/09/2025" || d.Subject != "V/v giao nộp hồ sơ, tài liệu vào Lưu trữ lịch sử tỉnh" ||
		d.FieldSources["codeNumber"].Source != catalogue.SourceCatalogue || d.FieldSources["typeName"].Source != catalogue.SourcePage {
		t.Errorf("package document: %+v", d)
	}
	// The dashboard's detail shows what was read from the page and the mistyped number.
	det, err := q.Detail(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	dd := det.Files[0].Documents[0]
	if !slices.Contains(dd.FromPage, "typeName") || len(dd.Mismatches) != 1 || dd.Mismatches[0].Field != "codeNumber" ||
		dd.Mismatches[0].Catalogue != "313" || dd.Mismatches[0].Page != "312" {
		t.Errorf("detail: from page %v, mismatches %+v", dd.FromPage, dd.Mismatches)
	}
}

// A stack is split by the package task, as by Process.
func TestStackThroughQueue(t *testing.T) {
	q, _, _ := newTestQueue(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "stack-2024")
	os.MkdirAll(filepath.Join(dir, "H49.64.33.2024.05.VHXH"), 0o755)
	for i := 1; i <= 4; i++ {
		data, err := os.ReadFile(filepath.Join("../../testdata/admin/stacks/stack1", "page-00"+string(rune('0'+i))+".jpg"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "H49.64.33.2024.05.VHXH", "p"+string(rune('0'+i))+".jpg"), data, 0o644)
	}
	os.WriteFile(filepath.Join(dir, pipeline.MetadataFile), []byte(`{"files": [{"fileCode": "H49.64.33.2024.05.VHXH", "paperFileCode": "H49.K1.G3.H12.60", "stack": true}]}`), 0o644)
	b, err := pipeline.Load(ctx, dir, pipeline.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Submit(ctx, b, pipeline.LoadOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	pkg, data := runToRecord(t, q, b.ID)
	var rec struct {
		Files []struct {
			FirstPages []int `json:"firstPages"`
			Documents  []struct {
				TypeName string          `json:"typeName"`
				Status   string          `json:"status"`
				PDF      string          `json:"pdf"`
				Split    *pipeline.Split `json:"split"`
			} `json:"documents"`
		} `json:"files"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	docs := rec.Files[0].Documents
	if len(docs) != 3 || len(rec.Files[0].FirstPages) != 3 || rec.Files[0].FirstPages[2] != 4 {
		t.Fatalf("stack packaged as %d documents, first pages %v", len(docs), rec.Files[0].FirstPages)
	}
	for i, want := range []string{"Kế hoạch", "Giấy mời", "Báo cáo"} {
		d := docs[i]
		if d.TypeName != want || d.Status != "done" || d.PDF == "" || d.Split == nil || d.Split.By != pipeline.SplitByPage {
			t.Errorf("document %d: %+v", i+1, d)
		}
		if _, err := os.Stat(filepath.Join(pkg, filepath.FromSlash(d.PDF))); err != nil {
			t.Errorf("document %d: %v", i+1, err)
		}
	}
}
