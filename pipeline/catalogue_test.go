package pipeline

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/sohoa-vn/sohoa/pipeline/catalogue"
	"github.com/sohoa-vn/sohoa/pipeline/tt05"
)

// catalogueBatch copies the sample batch without its batch.json, to be described by a catalogue.
func catalogueBatch(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := filepath.WalkDir(sampleBatch, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(sampleBatch, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		if rel == MetadataFile {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// clerkFill fills the template as a clerk would for the sample batch: over the example
// rows, codes picked by their names, dates typed short or entered as dates, a number
// below 10 without its zero.
func clerkFill(t *testing.T, f *excelize.File) {
	t.Helper()
	set := func(sheet, cell string, v any) {
		t.Helper()
		if err := f.SetCellValue(sheet, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	rows := map[string][][]any{
		catalogue.SheetFiles: {
			// fileCode title maintenance mode language startDate endDate keyword totalDoc numberOfPaper numberOfPage format inforSign confidenceLevel paperFileCode
			{"H49.64.33.2024.01.VTLT", "Hồ sơ về chỉnh lý và số hóa tài liệu lưu trữ năm 2024", "Vĩnh viễn", "01 Công khai", "Việt", "2/10/2023", time.Date(2024, 3, 8, 0, 0, 0, 0, time.UTC), "", "", "", "", "02 Bình thường", "", "02 Số hóa", "H49.K1.G3.H12.45"},
			{"H49.64.33.2025.02.VTLT", "Hồ sơ giao nộp tài liệu vào Lưu trữ lịch sử tỉnh năm 2025", "70 năm", "", "01", "25/06/2025", "17/09/2025", "", "", "", "", "", "", "", "H49.K1.G3.H12.46"},
		},
		catalogue.SheetDocuments: {
			// fileCode docOrdinal codeNumber codeNotation issuedDate typeName subject organName
			{"H49.64.33.2024.01.VTLT", 1, "145", "QĐ-UBND", "8/3/2024", "Quyết định", "Về việc phê duyệt Kế hoạch chỉnh lý tài liệu tồn đọng năm 2024", "Ủy ban nhân dân huyện An Lạc"},
			{"H49.64.33.2024.01.VTLT", 2, "9", "TTr-BV", "02/10/2023", "TTr", "Về việc đề nghị phê duyệt dự toán kinh phí số hóa hồ sơ bệnh án lưu trữ", "Bệnh viện Đa khoa khu vực Miền Đông"},
			{"H49.64.33.2025.02.VTLT", 1, "312", "CCVTLT-NVLT", "17/09/2025", "Công văn", "V/v giao nộp hồ sơ, tài liệu vào Lưu trữ lịch sử tỉnh", "Chi cục Văn thư - Lưu trữ tỉnh Bắc Minh"},
			{"H49.64.33.2025.02.VTLT", 2, "", "", "25/06/2025", "biên bản", "Về việc giao nhận tài liệu lưu trữ số hóa", "Công ty Cổ phần Cấp nước Sông Hồng"},
		},
	}
	for sheet, rs := range rows {
		for i, r := range rs {
			for j, v := range r {
				cell, _ := excelize.CoordinatesToCellName(j+1, 3+i)
				if s, ok := v.(string); ok && s == "" {
					if err := f.SetCellValue(sheet, cell, nil); err != nil {
						t.Fatal(err)
					}
					continue
				}
				set(sheet, cell, v)
			}
		}
		// Clear what is left of the example row beyond the filled columns.
		cols, _ := f.GetCols(sheet)
		for j := len(rs[0]); j < len(cols); j++ {
			cell, _ := excelize.CoordinatesToCellName(j+1, 3)
			set(sheet, cell, nil)
		}
	}
	set(catalogue.SheetBatch, "C1", "demo-2025-001")
	set(catalogue.SheetBatch, "C2", "Sở Nội vụ tỉnh Bắc Minh")
	set(catalogue.SheetBatch, "C3", "H49.64.33")
}

// writeCatalogue makes the template, lets fill change it and saves it as dir/mucluc.xlsx.
func writeCatalogue(t *testing.T, dir string, fill ...func(*excelize.File)) {
	t.Helper()
	var buf bytes.Buffer
	if err := catalogue.Template(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	clerkFill(t, f)
	for _, fn := range fill {
		fn(f)
	}
	if err := f.SaveAs(filepath.Join(dir, catalogue.XLSXName)); err != nil {
		t.Fatal(err)
	}
}

// metaOf returns the metadata of a loaded batch, for comparison.
func metaOf(b *Batch) (Organisation, string, []FileMeta, []DocMeta) {
	var fs []FileMeta
	var ds []DocMeta
	for _, f := range b.Files {
		fs = append(fs, f.Meta)
		for _, d := range f.Documents {
			ds = append(ds, d.Meta)
		}
	}
	return b.Organisation, b.ID, fs, ds
}

func TestCatalogueTemplateFillValidate(t *testing.T) {
	want, err := Load(context.Background(), sampleBatch, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := catalogueBatch(t)
	writeCatalogue(t, dir)
	b, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Sheet != catalogue.XLSXName {
		t.Errorf("sheet = %q", b.Sheet)
	}
	wo, wid, wf, wd := metaOf(want)
	go_, gid, gf, gd := metaOf(b)
	if wo != go_ || wid != gid {
		t.Errorf("batch %s %+v, want %s %+v", gid, go_, wid, wo)
	}
	if !reflect.DeepEqual(gf, wf) {
		t.Errorf("hồ sơ from the catalogue:\n%+v\nfrom batch.json:\n%+v", gf, wf)
	}
	if !reflect.DeepEqual(gd, wd) {
		t.Errorf("documents from the catalogue:\n%+v\nfrom batch.json:\n%+v", gd, wd)
	}
	notes := map[string]string{}
	for _, n := range b.Notes {
		notes[n.Cell] = n.String()
	}
	wantNotes := map[string]string{
		"Hồ sơ!C3":   `Hồ sơ!C3: "Vĩnh viễn" được hiểu là "01" (mã của danh mục)`,
		"Hồ sơ!E3":   `Hồ sơ!E3: "Việt" được hiểu là "01" (mã của danh mục)`,
		"Hồ sơ!F3":   `Hồ sơ!F3: "2/10/2023" được hiểu là "02/10/2023" (ngày viết đủ DD/MM/YYYY)`,
		"Hồ sơ!C4":   `Hồ sơ!C4: "70 năm" được hiểu là "02" (mã của danh mục)`,
		"Văn bản!E3": `Văn bản!E3: "8/3/2024" được hiểu là "08/03/2024" (ngày viết đủ DD/MM/YYYY)`,
		"Văn bản!C4": `Văn bản!C4: "9" được hiểu là "09" (số văn bản dưới 10 có số 0 ở trước)`,
		"Văn bản!F4": `Văn bản!F4: "TTr" được hiểu là "Tờ trình" (tên loại văn bản theo danh mục)`,
		"Văn bản!F6": `Văn bản!F6: "biên bản" được hiểu là "Biên bản" (tên loại văn bản theo danh mục)`,
	}
	if !reflect.DeepEqual(notes, wantNotes) {
		t.Errorf("notes:\n%v\nwant\n%v", notes, wantNotes)
	}
}

// problemsOf loads dir and returns every problem as its string.
func problemsOf(t *testing.T, dir string, opts LoadOptions) []string {
	t.Helper()
	_, err := Load(context.Background(), dir, opts)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Load = %v, want a validation error", err)
	}
	var out []string
	for _, p := range ve.Problems {
		out = append(out, p.String())
	}
	return out
}

func TestCatalogueMistakesNamedByCell(t *testing.T) {
	cases := []struct {
		name  string
		sheet string
		cell  string
		value any
		want  string
	}{
		{"impossible date", catalogue.SheetDocuments, "E3", "32/13/2024", `Văn bản!E3: "32/13/2024" không phải ngày hợp lệ (DD/MM/YYYY)`},
		{"month-only issued date", catalogue.SheetDocuments, "E4", "10/2023", `Văn bản!E4: "10/2023" không phải ngày hợp lệ (DD/MM/YYYY)`},
		{"unknown code", catalogue.SheetFiles, "C3", "Vĩnh viễn lắm", `Hồ sơ!C3: "Vĩnh viễn lắm" không phải mã hợp lệ; được phép: 01 Vĩnh viễn, 02 70 năm, 03 50 năm, 04 30 năm, 05 20 năm, 06 10 năm, 07 Khác`},
		{"number in words", catalogue.SheetFiles, "K3", "mười hai", `Hồ sơ!K3: "mười hai" không phải số nguyên (ví dụ 12)`},
		{"bad codeNumber", catalogue.SheetDocuments, "C3", "145a", `Văn bản!C3: "145a" số văn bản phải là chữ số, có số 0 ở trước nếu nhỏ hơn 10 (ví dụ 05, 145)`},
		{"bad notation", catalogue.SheetDocuments, "D3", "QĐ/UBND", `Văn bản!D3: "QĐ/UBND" ký hiệu gồm các nhóm chữ và số, mỗi nhóm bắt đầu bằng chữ hoa hoặc số, nối bằng dấu '-' (ví dụ QĐ-UBND)`},
		{"fileCode without folder", catalogue.SheetFiles, "A4", "H49.64.33.2025.03.VTLT", `Hồ sơ!A4: "H49.64.33.2025.03.VTLT" không có thư mục hồ sơ nào mang mã này trong lô`},
		{"document of an unlisted hồ sơ", catalogue.SheetDocuments, "A6", "H49.64.33.2025.09.VTLT", `Văn bản!A6: "H49.64.33.2025.09.VTLT" không có thư mục hồ sơ nào mang mã này trong lô`},
		{"ordinal twice", catalogue.SheetDocuments, "B4", 1, `Văn bản!B4: "1" bị ghi hai lần`},
		{"ordinal without document", catalogue.SheetDocuments, "B6", 7, `Văn bản!B6: "7" không có văn bản mang số thứ tự này trong thư mục H49.64.33.2025.02.VTLT/`},
		{"end before start", catalogue.SheetFiles, "G4", "2024", `Hồ sơ!G4: "2024" sớm hơn thời gian bắt đầu 25/06/2025`},
		{"paper file code missing", catalogue.SheetFiles, "O4", nil, `Hồ sơ!O4: bắt buộc với hồ sơ số hóa (mức độ tin cậy 02): ghi mã hồ sơ gốc giấy`},
		{"subject too long", catalogue.SheetDocuments, "G3", strings.Repeat("trích yếu ", 60), `Văn bản!G3: "trích yếu trích yếu trích yếu trích yếu …" dài quá 500 ký tự`},
		{"negative count", catalogue.SheetFiles, "I3", -2, `Hồ sơ!I3: "-2" không được là số âm`},
		{"unknown column tag", catalogue.SheetDocuments, "S2", "soTrang", `Văn bản!S2: "soTrang" thẻ cột không được biết trong trang Văn bản; được phép: fileCode, docOrdinal, codeNumber, codeNotation, issuedDate, typeName, subject, organName, signer, numberOfPage, language, mode, confidenceLevel, format, keyword, inforSign, autograph, description, docCode`},
		{"empty fileCode", catalogue.SheetDocuments, "A5", nil, `Văn bản!A5: thiếu mã hồ sơ`},
		{"unknown type name", catalogue.SheetDocuments, "F3", "Tờ khai lạ", `Văn bản!F3: "Tờ khai lạ" không phải tên loại văn bản theo TT 05/2025 (mã 01–32 hoặc tên); được phép: ` + tt05.TypeName.Allowed()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := catalogueBatch(t)
			writeCatalogue(t, dir, func(f *excelize.File) {
				if err := f.SetCellValue(c.sheet, c.cell, c.value); err != nil {
					t.Fatal(err)
				}
			})
			got := problemsOf(t, dir, LoadOptions{})
			found := false
			for _, g := range got {
				found = found || g == c.want
			}
			if !found {
				t.Errorf("problems:\n%s\nwant among them:\n%s", strings.Join(got, "\n"), c.want)
			}
		})
	}
}

// A date entered as a date in a cell showing another locale's format (m/d/yy) is read as
// the date it is.
func TestCatalogueDateCellInAnyFormat(t *testing.T) {
	dir := catalogueBatch(t)
	writeCatalogue(t, dir, func(f *excelize.File) {
		us, err := f.NewStyle(&excelize.Style{NumFmt: 14}) // m/d/yy, or the locale's short date
		if err != nil {
			t.Fatal(err)
		}
		f.SetCellValue(catalogue.SheetDocuments, "E4", time.Date(2023, 10, 2, 0, 0, 0, 0, time.UTC))
		f.SetCellStyle(catalogue.SheetDocuments, "E4", "E4", us)
	})
	b, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Files[0].Documents[1].Meta.IssuedDate; got != "02/10/2023" {
		t.Errorf("issuedDate = %q, want 02/10/2023", got)
	}
}

func TestCatalogueProblemsInEnglish(t *testing.T) {
	dir := catalogueBatch(t)
	writeCatalogue(t, dir, func(f *excelize.File) {
		f.SetCellValue(catalogue.SheetDocuments, "E3", "32/13/2024")
		f.SetCellValue(catalogue.SheetFiles, "K3", "mười hai")
	})
	got := strings.Join(problemsOf(t, dir, LoadOptions{Lang: "en"}), "\n")
	for _, want := range []string{`Văn bản!E3: "32/13/2024" not a valid date; expected DD/MM/YYYY`, `Hồ sơ!K3: "mười hai" not a whole number (e.g. 12)`} {
		if !strings.Contains(got, want) {
			t.Errorf("problems:\n%s\nwant %s", got, want)
		}
	}
}

func TestCatalogueAndBatchJSONTogetherRefused(t *testing.T) {
	dir := catalogueBatch(t)
	writeCatalogue(t, dir)
	data, _ := os.ReadFile(filepath.Join(sampleBatch, MetadataFile))
	os.WriteFile(filepath.Join(dir, MetadataFile), data, 0o644)
	got := strings.Join(problemsOf(t, dir, LoadOptions{}), "\n")
	if !strings.Contains(got, "mucluc.xlsx: lô có cả batch.json và mucluc.xlsx: chỉ giữ một trong hai") {
		t.Errorf("problems: %s", got)
	}
	// A Hồ sơ CSV that would be ignored is refused, not skipped.
	dir = catalogueBatch(t)
	writeCatalogue(t, dir)
	os.WriteFile(filepath.Join(dir, catalogue.CSVFilesName), []byte(csvFiles), 0o644)
	got = strings.Join(problemsOf(t, dir, LoadOptions{}), "\n")
	if !strings.Contains(got, "mucluc-hoso.csv: trang Hồ sơ dạng CSV (mucluc-hoso.csv) chỉ được đọc cùng trang Văn bản dạng CSV") {
		t.Errorf("problems: %s", got)
	}
}

// csvCatalogue is the "Văn bản" sheet of the sample batch as CSV, with its "Hồ sơ" sheet.
const (
	csvFiles = "Mã hồ sơ,Tiêu đề hồ sơ,Mã hồ sơ gốc giấy\nfileCode,title,paperFileCode\n" +
		"H49.64.33.2024.01.VTLT,Hồ sơ 1,H49.K1.G3.H12.45\nH49.64.33.2025.02.VTLT,Hồ sơ 2,H49.K1.G3.H12.46\n"
	csvDocs = "Mã hồ sơ;STT;Ngày;Trích yếu\nfileCode;docOrdinal;issuedDate;subject\n" +
		"H49.64.33.2024.01.VTLT;1;8/3/2024;Về việc phê duyệt Kế hoạch chỉnh lý\nH49.64.33.2025.02.VTLT;2;25/06/2025;Về việc giao nhận tài liệu\n"
)

func TestCatalogueCSVEncodings(t *testing.T) {
	utf16 := func(s string) []byte {
		out := []byte{0xFF, 0xFE}
		for _, r := range s {
			if r > 0xFFFF {
				t.Fatal("outside the BMP")
			}
			out = append(out, byte(r), byte(r>>8))
		}
		return out
	}
	cases := []struct {
		name string
		docs []byte
		want string // a problem; "" = loads
	}{
		{"UTF-8", []byte(csvDocs), ""},
		{"UTF-8 with BOM", append([]byte{0xEF, 0xBB, 0xBF}, csvDocs...), ""},
		{"UTF-16 with BOM", utf16(csvDocs), ""},
		// "Về" in Windows-1258 is 'V' 0xEA 0xCC: not UTF-8, on line 3.
		{"Windows-1258", []byte(strings.Replace(csvDocs, "Về", "V\xea\xcc", 1)), "mucluc.csv dòng 3: không phải văn bản UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := catalogueBatch(t)
			os.WriteFile(filepath.Join(dir, catalogue.CSVFilesName), []byte(csvFiles), 0o644)
			os.WriteFile(filepath.Join(dir, catalogue.CSVName), c.docs, 0o644)
			b, err := Load(context.Background(), dir, LoadOptions{})
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				d := b.Files[0].Documents[0].Meta
				if d.IssuedDate != "08/03/2024" || d.Subject != "Về việc phê duyệt Kế hoạch chỉnh lý" || b.Files[1].Meta.Title != "Hồ sơ 2" || b.Sheet != catalogue.CSVName {
					t.Errorf("read %+v, file %+v", d, b.Files[1].Meta)
				}
				if len(b.Notes) != 1 || b.Notes[0].Cell != "mucluc.csv!C3" {
					t.Errorf("notes = %v", b.Notes)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Load = %v, want %q", err, c.want)
			}
		})
	}
}

func TestBatchJSONSyntaxErrorHasLineAndColumn(t *testing.T) {
	cases := []struct{ json, want string }{
		{"{\n  \"id\": \"b1\",\n  \"files\": [\n    {\"fileCode\": \"H49.64.33.2019.01.VTLT\",}\n  ]\n}", "line 4, column 43: not valid JSON"},
		{"{\n  \"id\": \"b1\",\n  \"files\": [\n    {\"fileCode\": \"H49.64.33.2019.01.VTLT\"}\n  \n}", "line 6, column 1: not valid JSON"},
		{"{\n  \"id\": \"b1\",\n  \"files\": [\n    {\"fileCode\": \"H49.64.33.2019.01.VTLT\"}\n", "line 5, column 1: not valid JSON: the file ends before the JSON does"},
		{"{\n  \"id\": 7\n}", "line 2, column 9: has a JSON number where a string is expected"},
	}
	for _, c := range cases {
		dir := makeBatch(t, map[string]string{"batch.json": c.json, "H49.64.33.2019.01.VTLT/1/a.jpg": "@bb-giao-nhan-p01.jpg"})
		got := strings.Join(problemsOf(t, dir, LoadOptions{}), "\n")
		if !strings.Contains(got, c.want) {
			t.Errorf("%q:\n%s\nwant %s", c.json, got, c.want)
		}
	}
}
