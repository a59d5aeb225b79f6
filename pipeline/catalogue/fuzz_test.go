package catalogue

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCatalogueCSV feeds arbitrary bytes to the catalogue reader as a CSV
// catalogue: the bytes before the first NUL are mucluc-hoso.csv (the "Hồ sơ"
// sheet), the rest mucluc.csv (the "Văn bản" sheet); without a NUL there is no
// "Hồ sơ" file. The reader runs the encoding check, the CSV parser, the header
// and tag rows and every cell kind (codes, dates, numbers, lists). It must
// never panic; when it returns a catalogue, its JSON is valid and every problem
// or note names its cell and says what is wrong in both languages. Corpus:
// testdata/fuzz/FuzzCatalogueCSV.
func FuzzCatalogueCSV(f *testing.F) {
	files := "Mã hồ sơ,Tiêu đề hồ sơ,Mã hồ sơ gốc giấy,Chế độ sử dụng\nfileCode,title,paperFileCode,mode\n" +
		"H49.64.33.2024.01.VTLT,Hồ sơ 1,H49.K1.G3.H12.45,01\n"
	docs := "Mã hồ sơ;STT;Ngày;Trích yếu;Tên loại;Số trang\nfileCode;docOrdinal;issuedDate;subject;typeName;pageNumber\n" +
		"H49.64.33.2024.01.VTLT;1;8/3/2024;Về việc phê duyệt Kế hoạch chỉnh lý;Quyết định;2\n" +
		"H49.64.33.2024.01.VTLT;2;03/2024;Về việc giao nhận;Công văn;x\n"
	f.Add([]byte(files + "\x00" + docs))
	f.Add([]byte(docs))
	f.Add([]byte("\xef\xbb\xbf" + docs))
	f.Add([]byte{0xFF, 0xFE, 'f', 0, 'i', 0, '\n', 0})
	f.Add([]byte("fileCode\n\"unterminated\n"))
	f.Add([]byte("\x00a;b\nfileCode;docOrdinal;zzz\n;;\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		docsPart := data
		if hoso, rest, ok := bytes.Cut(data, []byte{0}); ok {
			if err := os.WriteFile(filepath.Join(dir, CSVFilesName), hoso, 0o644); err != nil {
				t.Fatal(err)
			}
			docsPart = rest
		}
		if err := os.WriteFile(filepath.Join(dir, CSVName), docsPart, 0o644); err != nil {
			t.Fatal(err)
		}
		cat, err := Read(dir, CSVName)
		if err != nil {
			if !strings.Contains(err.Error(), "mucluc") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if !json.Valid(cat.JSON) {
			t.Fatalf("invalid JSON: %s", cat.JSON)
		}
		for _, list := range [][]Issue{cat.Problems, cat.Notes} {
			for _, p := range list {
				if p.Cell == "" || !strings.Contains(p.Cell, "mucluc") || p.VI == "" || p.EN == "" {
					t.Fatalf("issue without its cell or reason: %+v", p)
				}
			}
		}
	})
}
