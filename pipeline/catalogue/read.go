package catalogue

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/unicode/norm"

	"github.com/sohoa-vn/sohoa/pipeline/tt05"
)

// Catalogue is a spreadsheet catalogue turned into the batch.json document.
type Catalogue struct {
	Name     string  // file name in the batch folder: mucluc.xlsx or mucluc.csv
	JSON     []byte  // the batch.json document it stands for
	Notes    []Issue // values accepted after normalisation
	Problems []Issue // what could not be read (bad numbers, unknown columns, …)

	cells map[string]string // JSON field path → cell ("Văn bản!E7"); "files[0]" → first cell of its row
}

// Issue is a problem or a note about one cell.
type Issue struct {
	Cell  string // "Văn bản!E7"
	Field string // JSON field path, e.g. files[0].documents[1].issuedDate
	Value string // the value as written
	VI    string // what is wrong (or what changed), in Vietnamese
	EN    string // the same in English
}

// Text returns the issue's explanation in lang ("en" for English, Vietnamese otherwise).
func (i Issue) Text(lang string) string {
	if lang == "en" && i.EN != "" {
		return i.EN
	}
	return i.VI
}

// Find returns the catalogue file names present in dir (none, one, or several when a
// clerk left more than one).
func Find(dir string) []string {
	var out []string
	for _, n := range []string{XLSXName, CSVName} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// IsCatalogueFile reports whether name is a catalogue file the batch loader reads.
func IsCatalogueFile(name string) bool {
	return name == XLSXName || name == CSVName || name == CSVFilesName
}

// Locate returns the cell a JSON field path came from: the field's own cell, or the
// first cell of the row of the nearest enclosing record.
func (c *Catalogue) Locate(field string) string {
	for p := field; p != ""; {
		if cell, ok := c.cells[p]; ok {
			return cell
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return ""
}

// Read reads the catalogue file name (XLSXName or CSVName) in dir.
func Read(dir, name string) (*Catalogue, error) {
	r := &reader{cat: &Catalogue{Name: name, cells: map[string]string{}}, fileIndex: map[string]int{}}
	switch name {
	case XLSXName:
		f, err := excelize.OpenFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("%s: not a readable Excel workbook (.xlsx): %w", name, err)
		}
		defer f.Close()
		if err := r.readWorkbook(f); err != nil {
			return nil, err
		}
	case CSVName:
		if rows, err := readCSV(filepath.Join(dir, CSVFilesName)); err == nil {
			r.readSheet(CSVFilesName, SheetFiles, rows)
		} else if !errors.Is(err, os.ErrNotExist) {
			r.problem(CSVFilesName, "", "", err.Error(), err.Error())
		}
		rows, err := readCSV(filepath.Join(dir, CSVName))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
			r.problem(CSVName, "", "", err.Error(), err.Error())
		}
		r.readSheet(CSVName, SheetDocuments, rows)
	default:
		return nil, fmt.Errorf("%s: not a catalogue file name (%s or %s)", name, XLSXName, CSVName)
	}
	js, err := json.MarshalIndent(r.doc(), "", " ")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	r.cat.JSON = js
	return r.cat, nil
}

// encodingError is a CSV file that is not UTF-8 text.
type encodingError struct {
	file string
	line int
}

func (e *encodingError) Error() string {
	return fmt.Sprintf("%s dòng %d: không phải văn bản UTF-8; trong Excel chọn Lưu thành \"CSV UTF-8\" / line %d: not UTF-8 text; save as \"CSV UTF-8\"", e.file, e.line, e.line)
}

// readCSV reads a CSV file in UTF-8 (with or without a byte order mark) or UTF-16
// with a byte order mark (Excel's "Unicode text"); anything else is refused with the
// line where it stops being UTF-8. A semicolon separator is accepted.
func readCSV(path string) ([][]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		dec := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder()
		if data, err = dec.Bytes(data); err != nil {
			return nil, fmt.Errorf("%s: not UTF-16 text: %w", filepath.Base(path), err)
		}
	}
	if !utf8.Valid(data) {
		line := 1
		for len(data) > 0 {
			r, n := utf8.DecodeRune(data)
			if r == utf8.RuneError && n <= 1 {
				break
			}
			if r == '\n' {
				line++
			}
			data = data[n:]
		}
		return nil, &encodingError{filepath.Base(path), line}
	}
	cr := csv.NewReader(bytes.NewReader(data))
	first, _, _ := strings.Cut(string(data), "\n")
	if strings.Count(first, ";") > strings.Count(first, ",") {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return rows, nil
}

type reader struct {
	cat       *Catalogue
	batch     map[string]any
	files     []map[string]any
	fileIndex map[string]int // fileCode → index in files
}

func (r *reader) problem(cell, field, value, vi, en string) {
	r.cat.Problems = append(r.cat.Problems, Issue{Cell: cell, Field: field, Value: value, VI: vi, EN: en})
}

func (r *reader) note(cell, field, value, vi, en string) {
	r.cat.Notes = append(r.cat.Notes, Issue{Cell: cell, Field: field, Value: value, VI: vi, EN: en})
}

func (r *reader) readWorkbook(f *excelize.File) error {
	has := map[string]bool{}
	for _, s := range f.GetSheetList() {
		has[s] = true
	}
	if !has[SheetFiles] && !has[SheetDocuments] {
		return fmt.Errorf("%s: không có trang %q và %q (tạo mẫu bằng: sohoa catalogue template) / has neither sheet %q nor %q (make one with: sohoa catalogue template)", r.cat.Name, SheetFiles, SheetDocuments, SheetFiles, SheetDocuments)
	}
	if has[SheetBatch] {
		rows, err := f.GetRows(SheetBatch)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", r.cat.Name, SheetBatch, err)
		}
		r.readBatch(rows)
	}
	for _, s := range []string{SheetFiles, SheetDocuments} {
		if !has[s] {
			continue
		}
		rows, err := f.GetRows(s)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", r.cat.Name, s, err)
		}
		raw, err := f.GetRows(s, excelize.Options{RawCellValue: true})
		if err != nil {
			return fmt.Errorf("%s: %s: %w", r.cat.Name, s, err)
		}
		datesFromSerials(rows, raw, columnsOf(s))
		r.readSheet(s, s, rows)
	}
	return nil
}

func (r *reader) readBatch(rows [][]string) {
	for i, row := range rows {
		if len(row) < 3 || strings.TrimSpace(row[2]) == "" {
			continue
		}
		key, v := strings.TrimSpace(row[1]), clean(row[2])
		cell := fmt.Sprintf("%s!C%d", SheetBatch, i+1)
		if r.batch == nil {
			r.batch = map[string]any{}
		}
		switch key {
		case "id":
			r.batch["id"] = v
			r.cat.cells["id"] = cell
		case "organisation.name", "organisation.identifier":
			org, _ := r.batch["organisation"].(map[string]any)
			if org == nil {
				org = map[string]any{}
				r.batch["organisation"] = org
			}
			org[strings.TrimPrefix(key, "organisation.")] = v
			r.cat.cells[key] = cell
		default:
			r.problem(fmt.Sprintf("%s!B%d", SheetBatch, i+1), "", key, "khóa không được biết; được phép: id, organisation.name, organisation.identifier", "unknown key; allowed: id, organisation.name, organisation.identifier")
		}
	}
}

// readSheet reads the rows of a "Hồ sơ" or "Văn bản" sheet; label is how cells are
// named in messages (the sheet, or the CSV file).
func (r *reader) readSheet(label, sheet string, rows [][]string) {
	cols := columnsOf(sheet)
	byTag := map[string]column{}
	for _, c := range cols {
		byTag[c.Tag] = c
	}
	if len(rows) < tagRow {
		if len(rows) > 0 {
			r.problem(label+"!A2", "", "", "thiếu dòng 2 ghi thẻ TT 05 của từng cột (dùng mẫu: sohoa catalogue template)", "row 2 must hold the TT 05 tag of every column (use the template: sohoa catalogue template)")
		}
		return
	}
	tags := rows[tagRow-1]
	at := map[int]column{}
	seen := map[string]bool{}
	for i, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		cell := cellName(label, i, tagRow)
		c, ok := byTag[t]
		switch {
		case !ok:
			r.problem(cell, "", t, fmt.Sprintf("thẻ cột không được biết trong trang %s; được phép: %s", sheet, tagList(cols)), fmt.Sprintf("unknown column tag for sheet %s; allowed: %s", sheet, tagList(cols)))
		case seen[t]:
			r.problem(cell, "", t, "cột bị lặp lại", "column appears twice")
		default:
			seen[t] = true
			at[i] = c
		}
	}
	if !seen["fileCode"] {
		r.problem(label+"!A2", "", "", "thiếu cột Mã hồ sơ (fileCode)", "the fileCode column (Mã hồ sơ) is missing")
		return
	}
	if sheet == SheetDocuments && !seen["docOrdinal"] {
		r.problem(label+"!B2", "", "", "thiếu cột Số thứ tự trong hồ sơ (docOrdinal)", "the docOrdinal column is missing")
		return
	}
	for ri := firstRow - 1; ri < len(rows); ri++ {
		row := rows[ri]
		if blank(row) || isExample(row, at) {
			continue
		}
		rec := map[string]any{}
		cells := map[string]string{}
		firstCell := ""
		for i, c := range at {
			cell := cellName(label, i, ri+1)
			cells[c.Tag] = cell // also for an empty cell: a missing value is reported there
			if i >= len(row) {
				continue
			}
			if c.Tag == "fileCode" {
				firstCell = cell
			}
			if v, ok := r.value(cell, c, row[i]); ok && v != nil {
				rec[c.Tag] = v
			}
		}
		code, _ := rec["fileCode"].(string)
		if code == "" {
			r.problem(cellName(label, colOf(at, "fileCode"), ri+1), "", "", "thiếu mã hồ sơ", "the fileCode is empty")
			continue
		}
		if sheet == SheetFiles {
			if _, dup := r.fileIndex[code]; dup {
				r.problem(firstCell, "", code, "hồ sơ bị ghi hai lần", "hồ sơ listed twice")
				continue
			}
			r.fileIndex[code] = len(r.files)
			r.files = append(r.files, rec)
			prefix := fmt.Sprintf("files[%d]", r.fileIndex[code])
			r.cat.cells[prefix] = firstCell
			for t, c := range cells {
				r.cat.cells[prefix+"."+t] = c
			}
			continue
		}
		fi, ok := r.fileIndex[code]
		if !ok {
			fi = len(r.files)
			r.fileIndex[code] = fi
			r.files = append(r.files, map[string]any{"fileCode": code})
			r.cat.cells[fmt.Sprintf("files[%d]", fi)] = firstCell
		}
		docs, _ := r.files[fi]["documents"].([]any)
		delete(rec, "fileCode")
		prefix := fmt.Sprintf("files[%d].documents[%d]", fi, len(docs))
		r.files[fi]["documents"] = append(docs, rec)
		r.cat.cells[prefix] = firstCell
		for t, c := range cells {
			if t != "fileCode" {
				r.cat.cells[prefix+"."+t] = c
			}
		}
	}
}

// datesFromSerials writes the date cells that hold a date (an Excel serial number,
// whatever format displays it) as DD/MM/YYYY, so that a date entered in a workbook with
// another locale's format (3/8/24) is read as the date it is, not as text.
func datesFromSerials(rows, raw [][]string, cols []column) {
	if len(rows) < tagRow {
		return
	}
	isDate := map[int]bool{}
	for i, t := range rows[tagRow-1] {
		for _, c := range cols {
			if c.Tag == strings.TrimSpace(t) && (c.Kind == kindDate || c.Kind == kindDateFull) {
				isDate[i] = true
			}
		}
	}
	for ri := firstRow - 1; ri < len(rows) && ri < len(raw); ri++ {
		for i := range isDate {
			if i >= len(rows[ri]) || i >= len(raw[ri]) || raw[ri][i] == rows[ri][i] {
				continue
			}
			serial, err := strconv.ParseFloat(raw[ri][i], 64)
			if err != nil || serial < 1 {
				continue
			}
			if t, err := excelize.ExcelDateToTime(serial, false); err == nil {
				rows[ri][i] = t.Format("02/01/2006")
			}
		}
	}
}

func (r *reader) doc() map[string]any {
	out := map[string]any{}
	for k, v := range r.batch {
		out[k] = v
	}
	files := make([]any, len(r.files))
	for i, f := range r.files {
		files[i] = f
	}
	out["files"] = files
	return out
}

var (
	dateForm     = regexp.MustCompile(`^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})$`)
	monthForm    = regexp.MustCompile(`^([0-9]{1,2})[/.-]([0-9]{4})$`)
	isoDateForm  = regexp.MustCompile(`^([0-9]{4})-([0-9]{2})-([0-9]{2})$`)
	intForm      = regexp.MustCompile(`^-?[0-9]+$`)
	numberPrefix = regexp.MustCompile(`^(?i:số)\s*:?\s*`)
)

// value reads one cell as the JSON value of column c: a string, an int, or nil when
// the cell is empty. ok is false when the value cannot stand for any value of its
// kind (the problem is recorded).
func (r *reader) value(cell string, c column, raw string) (any, bool) {
	v := clean(raw)
	if v == "" {
		return nil, true
	}
	changed := func(to, vi, en string) {
		if to != v {
			r.note(cell, c.Tag, v, fmt.Sprintf("được hiểu là %q (%s)", to, vi), fmt.Sprintf("read as %q (%s)", to, en))
		}
	}
	switch c.Kind {
	case kindCode:
		code, ok := c.List.Lookup(v)
		if !ok {
			return v, true // the validator names the allowed codes
		}
		if code != v && code+" "+c.List[code] != v {
			changed(code, "mã của danh mục", "the code of the list")
		}
		return code, true
	case kindDate, kindDateFull:
		to := normaliseDate(v, c.Kind == kindDate)
		changed(to, "ngày viết đủ DD/MM/YYYY", "date written in full DD/MM/YYYY")
		return to, true
	case kindInt, kindBool:
		if c.Kind == kindBool {
			switch tt05.Fold(v) {
			case "có", "co", "x", "true":
				changed("1", "có = 1", "yes = 1")
				v = "1"
			case "không", "khong", "false":
				changed("0", "không = 0", "no = 0")
				v = "0"
			}
		}
		t := strings.TrimSuffix(v, ".0")
		if !intForm.MatchString(t) {
			r.problem(cell, c.Tag, v, "không phải số nguyên (ví dụ 12)", "not a whole number (e.g. 12)")
			return nil, false
		}
		n, err := strconv.Atoi(t)
		if err != nil {
			r.problem(cell, c.Tag, v, "số quá lớn", "number too large")
			return nil, false
		}
		return n, true
	case kindFlag:
		switch tt05.Fold(v) {
		case "1", "có", "co", "x", "true":
			return true, true
		case "0", "không", "khong", "false":
			return false, true
		}
		r.problem(cell, c.Tag, v, "phải là 1 (có) hoặc 0 (không)", "must be 1 (yes) or 0 (no)")
		return nil, false
	case kindIntList:
		var out []int
		for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
			n, err := strconv.Atoi(p)
			if err != nil {
				r.problem(cell, c.Tag, v, "phải là các số trang cách nhau bởi dấu phẩy (ví dụ 1, 3, 4)", "must be page numbers separated by commas (e.g. 1, 3, 4)")
				return nil, false
			}
			out = append(out, n)
		}
		return out, true
	case kindNumber:
		to := numberPrefix.ReplaceAllString(v, "")
		if len(to) == 1 && to[0] >= '1' && to[0] <= '9' {
			to = "0" + to
		}
		changed(to, "số văn bản dưới 10 có số 0 ở trước", "numbers below 10 take a leading zero")
		return to, true
	case kindNotation:
		to := strings.ToUpper(strings.Join(strings.Fields(v), ""))
		to = strings.ReplaceAll(to, "TTR", "TTr")
		if to != v && strings.ToUpper(v) != v {
			changed(to, "ký hiệu viết hoa", "notation in capitals")
			return to, true
		}
		return v, true
	case kindType:
		if t, ok := tt05.LookupType(v); ok {
			changed(t.Name, "tên loại văn bản theo danh mục", "document type name of the list")
			return t.Name, true
		}
		return v, true
	}
	return v, true
}

// normaliseDate writes D/M/YYYY (also with '.' or '-') and YYYY-MM-DD as DD/MM/YYYY, and
// M/YYYY as MM/YYYY when partial dates are allowed; anything else is returned unchanged
// for the validator to judge.
func normaliseDate(v string, partial bool) string {
	if m := dateForm.FindStringSubmatch(v); m != nil {
		return fmt.Sprintf("%02s/%02s/%s", pad(m[1]), pad(m[2]), m[3])
	}
	if m := isoDateForm.FindStringSubmatch(v); m != nil {
		return m[3] + "/" + m[2] + "/" + m[1]
	}
	if m := monthForm.FindStringSubmatch(v); m != nil && partial {
		return pad(m[1]) + "/" + m[2]
	}
	return v
}

func pad(s string) string {
	if len(s) == 1 {
		return "0" + s
	}
	return s
}

// clean returns a cell's text in NFC with surrounding and repeated white space removed.
func clean(s string) string {
	return strings.Join(strings.Fields(norm.NFC.String(s)), " ")
}

func blank(row []string) bool {
	for _, v := range row {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// isExample reports whether row is the template's example row, left in place.
func isExample(row []string, at map[int]column) bool {
	any := false
	for i, c := range at {
		v := ""
		if i < len(row) {
			v = clean(row[i])
		}
		if v != c.Sample {
			return false
		}
		any = any || v != ""
	}
	return any
}

func colOf(at map[int]column, tag string) int {
	for i, c := range at {
		if c.Tag == tag {
			return i
		}
	}
	return 0
}

func cellName(label string, col, row int) string {
	n, _ := excelize.CoordinatesToCellName(col+1, row)
	return label + "!" + n
}

func tagList(cols []column) string {
	t := make([]string, len(cols))
	for i, c := range cols {
		t[i] = c.Tag
	}
	return strings.Join(t, ", ")
}
