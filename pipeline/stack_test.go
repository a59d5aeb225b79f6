package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline/catalogue"
)

// stackBatch is the admin stack as one hồ sơ of loose pages marked stack: true in
// batch.json; extra holds more fields of the hồ sơ.
func stackBatch(t *testing.T, extra string) string {
	t.Helper()
	dir := makeAdminBatch(t, map[string]string{
		"H49.64.33.2024.05.VHXH/p1.jpg": "stacks/stack1/page-001.jpg",
		"H49.64.33.2024.05.VHXH/p2.jpg": "stacks/stack1/page-002.jpg",
		"H49.64.33.2024.05.VHXH/p3.jpg": "stacks/stack1/page-003.jpg",
		"H49.64.33.2024.05.VHXH/p4.jpg": "stacks/stack1/page-004.jpg",
	})
	sheet := `{"id": "stack-1", "files": [{"fileCode": "H49.64.33.2024.05.VHXH", "paperFileCode": "H49.K1.G3.H12.60", "stack": true` + extra + `,
		"documents": [{"docOrdinal": 2, "subject": "Mời dự Lễ khai mạc Đại hội"}]}]}`
	writeFile(t, dir, MetadataFile, sheet)
	return dir
}

func TestStackSplitIntoDocuments(t *testing.T) {
	dir := stackBatch(t, "")
	b, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Documents() != 1 || !b.Files[0].Documents[0].Stack || b.Pages() != 4 {
		t.Fatalf("stack loaded as %d documents, %d pages", b.Documents(), b.Pages())
	}
	out := t.TempDir()
	rep, err := Process(context.Background(), b, out, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Documents != 3 || rep.DocumentsDone != 3 {
		t.Fatalf("report: %d documents, %d done", rep.Documents, rep.DocumentsDone)
	}
	rec := readRecord(t, out+"/"+rep.BatchID)
	docs := rec.Files[0].Documents
	if len(docs) != 3 {
		t.Fatalf("%d documents in the record", len(docs))
	}
	want := []struct {
		ordinal      int
		typeName, no string
		pages        []int
		subject      string
	}{
		{1, "Kế hoạch", "137", []int{1, 2}, "Tổ chức Đại hội Thể dục thể thao xã Phước Lộc năm 2024"},
		{2, "Giấy mời", "157", []int{3}, "Mời dự Lễ khai mạc Đại hội"}, // the catalogue's subject wins
		{3, "Báo cáo", "172", []int{4}, "Kết quả tổ chức Đại hội Thể dục thể thao xã Phước Lộc năm 2024"},
	}
	for i, w := range want {
		d := docs[i]
		if d.DocOrdinal != w.ordinal || d.TypeName != w.typeName || d.CodeNumber != w.no || d.Subject != w.subject || d.Status != "done" {
			t.Errorf("document %d: %d %q %q %q %s", i+1, d.DocOrdinal, d.TypeName, d.CodeNumber, d.Subject, d.Status)
		}
		if d.Split == nil || !reflect.DeepEqual(d.Split.Pages, w.pages) || d.Split.By != SplitByPage || d.Split.Evidence == nil || !d.Split.Evidence.First() {
			t.Errorf("document %d split: %+v", i+1, d.Split)
		}
		if len(d.Pages) != len(w.pages) || d.PDF == "" || !strings.HasSuffix(d.PDF, ".VHXH."+string(rune('0'+w.ordinal))+".pdf") {
			t.Errorf("document %d: %d pages, pdf %q", i+1, len(d.Pages), d.PDF)
		}
	}
	if !reflect.DeepEqual(rec.Files[0].FirstPages, []int{1, 3, 4}) {
		t.Errorf("first pages recorded %v", rec.Files[0].FirstPages)
	}

	// The package's catalogue, imported again, describes the same stack and documents.
	var xlsx bytes.Buffer
	if err := catalogue.Export(out+"/"+rep.BatchID, &xlsx); err != nil {
		t.Fatal(err)
	}
	again := stackBatch(t, "")
	os.Remove(filepath.Join(again, MetadataFile))
	writeFile(t, again, catalogue.XLSXName, xlsx.String())
	b2, err := Load(context.Background(), again, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f2 := b2.Files[0]
	if !reflect.DeepEqual(f2.Meta, rec.Files[0].FileMeta) {
		t.Errorf("imported hồ sơ\n%+v\npackage\n%+v", f2.Meta, rec.Files[0].FileMeta)
	}
	for i, d := range docs {
		if m := f2.stackMetas[i+1]; m == nil || !reflect.DeepEqual(*m, d.DocMeta) {
			t.Errorf("imported document %d\n%+v\npackage\n%+v", i+1, m, d.DocMeta)
		}
	}
}

// The catalogue's first pages override what the pages suggest.
func TestStackSplitOverriddenByCatalogue(t *testing.T) {
	all := ocrAdminSamples(t)
	dir := stackBatch(t, `, "firstPages": [1, 2, 4]`)
	b, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, d := b.Files[0], b.Files[0].Documents[0]
	var results []*PageResult
	for i, name := range []string{"page-001.jpg", "page-002.jpg", "page-003.jpg", "page-004.jpg"} {
		p := all["stacks/stack1/"+name].page
		results = append(results, &PageResult{Page: d.Pages[i], OCR: &ocr.Result{Words: p.Words}, Width: p.Width, Height: p.Height})
	}
	parts, rs, firsts := SplitStack(f, d, results)
	if !reflect.DeepEqual(firsts, []int{1, 2, 4}) || len(parts) != 3 || len(rs[1]) != 2 {
		t.Fatalf("split at %v into %d documents", firsts, len(parts))
	}
	if parts[1].Split.By != SplitByCatalogue || !reflect.DeepEqual(parts[1].Split.Pages, []int{2, 3}) || parts[1].Split.Evidence.First() {
		t.Errorf("second document: %+v, evidence %+v", parts[1].Split, parts[1].Split.Evidence)
	}
	if parts[1].Meta.Subject != "Mời dự Lễ khai mạc Đại hội" || parts[1].Pages[0].Index != 1 || rs[1][0].Page != parts[1].Pages[0] {
		t.Errorf("second document meta %+v, page %+v", parts[1].Meta, parts[1].Pages[0])
	}
}

func TestStackProblems(t *testing.T) {
	dir := stackBatch(t, `, "firstPages": [2, 3]`)
	got := strings.Join(problemsOf(t, dir, LoadOptions{}), "\n")
	if !strings.Contains(got, "files[0].firstPages = \"[2 3]\": must start with 1 and increase") {
		t.Errorf("problems: %s", got)
	}
	dir = stackBatch(t, `, "firstPages": [1, 5]`)
	got = strings.Join(problemsOf(t, dir, LoadOptions{}), "\n")
	if !strings.Contains(got, "a stack has 4 pages; its first pages must be within them") {
		t.Errorf("problems: %s", got)
	}
}

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
