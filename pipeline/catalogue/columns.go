// Package catalogue reads and writes a batch's mục lục (catalogue) as a spreadsheet:
// an .xlsx workbook with the sheets "Hồ sơ" and "Văn bản" (or mucluc.csv), the form
// archives keep their catalogues in, as an alternative to batch.json.
//
// The catalogue is not a second model: Read turns a workbook into the batch.json
// document (with the same TT 05 tags) and a map from every JSON field path to the
// cell it came from, so the batch loader validates it with exactly the rules of
// batch.json and reports each problem at its cell (Locate, Localize). Unambiguous
// forms are normalised on reading, each with a Note (8/3/2024 → 08/03/2024, a code
// list's name → its code). Template writes an empty workbook for clerks, Export the
// catalogue of a finished package.
package catalogue

import "github.com/sohoa-vn/sohoa/pipeline/tt05"

// Sheet names of the workbook.
const (
	SheetFiles     = "Hồ sơ"
	SheetDocuments = "Văn bản"
	SheetBatch     = "Lô"
	SheetHelp      = "Hướng dẫn"
	SheetLists     = "Danh mục"
	SheetSources   = "Nguồn"
)

// File names a batch folder may hold instead of batch.json.
const (
	XLSXName     = "mucluc.xlsx"
	CSVName      = "mucluc.csv"      // the "Văn bản" sheet as CSV
	CSVFilesName = "mucluc-hoso.csv" // optional: the "Hồ sơ" sheet as CSV
)

// Header rows: row 1 holds the Vietnamese header, row 2 the TT 05 tag; data starts at row 3.
const (
	headerRow = 1
	tagRow    = 2
	firstRow  = 3
)

type kind int

const (
	kindText     kind = iota
	kindCode          // a TT 05 code list
	kindDate          // DD/MM/YYYY, MM/YYYY or YYYY
	kindDateFull      // DD/MM/YYYY only
	kindInt
	kindBool // 1/0
	kindType // document type name
	kindNumber
	kindNotation
	kindFlag    // yes/no: true or false in JSON
	kindIntList // 1, 3, 4
)

// column is one column of a sheet: its TT 05 tag, Vietnamese header and what it holds.
type column struct {
	Tag    string
	Header string
	Kind   kind
	List   tt05.CodeList
	Width  float64
	Sample string // value of the example row
}

var fileColumns = []column{
	{Tag: "fileCode", Header: "Mã hồ sơ", Width: 28, Sample: "H49.64.33.2024.01.VTLT"},
	{Tag: "title", Header: "Tiêu đề hồ sơ", Width: 40, Sample: "Hồ sơ về công tác văn thư, lưu trữ năm 2024"},
	{Tag: "maintenance", Header: "Thời hạn lưu trữ", Kind: kindCode, List: tt05.Maintenance, Width: 16, Sample: "01 Vĩnh viễn"},
	{Tag: "mode", Header: "Chế độ sử dụng", Kind: kindCode, List: tt05.Mode, Width: 18, Sample: "01 Công khai"},
	{Tag: "language", Header: "Ngôn ngữ", Kind: kindCode, List: tt05.Language, Width: 12, Sample: "01 Việt"},
	{Tag: "startDate", Header: "Thời gian bắt đầu", Kind: kindDate, Width: 14, Sample: "02/01/2024"},
	{Tag: "endDate", Header: "Thời gian kết thúc", Kind: kindDate, Width: 14, Sample: "28/12/2024"},
	{Tag: "keyword", Header: "Từ khóa", Width: 16},
	{Tag: "totalDoc", Header: "Tổng số văn bản", Kind: kindInt, Width: 10, Sample: "2"},
	{Tag: "numberOfPaper", Header: "Số lượng tờ", Kind: kindInt, Width: 10, Sample: "3"},
	{Tag: "numberOfPage", Header: "Số lượng trang", Kind: kindInt, Width: 10, Sample: "5"},
	{Tag: "format", Header: "Tình trạng vật lý", Kind: kindCode, List: tt05.Format, Width: 14, Sample: "01 Tốt"},
	{Tag: "inforSign", Header: "Ký hiệu thông tin", Width: 12},
	{Tag: "confidenceLevel", Header: "Mức độ tin cậy", Kind: kindCode, List: tt05.ConfidenceLevel, Width: 14, Sample: "02 Số hóa"},
	{Tag: "paperFileCode", Header: "Mã hồ sơ gốc giấy", Width: 22, Sample: "H49.K1.G3.H12.45"},
	{Tag: "riskRecovery", Header: "Chế độ dự phòng (1/0)", Kind: kindBool, Width: 10},
	{Tag: "riskRecoveryStatus", Header: "Tình trạng dự phòng", Kind: kindCode, List: tt05.RiskStatus, Width: 16},
	{Tag: "description", Header: "Ghi chú", Width: 30},
	{Tag: "stack", Header: "Quét thành một xấp (1/0)", Kind: kindFlag, Width: 10},
	{Tag: "firstPages", Header: "Trang đầu từng văn bản của xấp (1, 3, 4)", Width: 16, Kind: kindIntList},
}

var docColumns = []column{
	{Tag: "fileCode", Header: "Mã hồ sơ", Width: 28, Sample: "H49.64.33.2024.01.VTLT"},
	{Tag: "docOrdinal", Header: "Số thứ tự trong hồ sơ", Kind: kindInt, Width: 8, Sample: "1"},
	{Tag: "codeNumber", Header: "Số", Kind: kindNumber, Width: 8, Sample: "145"},
	{Tag: "codeNotation", Header: "Ký hiệu", Kind: kindNotation, Width: 14, Sample: "QĐ-UBND"},
	{Tag: "issuedDate", Header: "Ngày, tháng, năm văn bản", Kind: kindDateFull, Width: 14, Sample: "08/03/2024"},
	{Tag: "typeName", Header: "Tên loại văn bản", Kind: kindType, Width: 16, Sample: "Quyết định"},
	{Tag: "subject", Header: "Trích yếu nội dung", Width: 48, Sample: "Về việc ban hành Quy chế công tác văn thư, lưu trữ"},
	{Tag: "organName", Header: "Cơ quan, tổ chức ban hành", Width: 30, Sample: "Ủy ban nhân dân tỉnh Bắc Minh"},
	{Tag: "signer", Header: "Chức vụ, họ tên người ký", Width: 28, Sample: "KT. CHỦ TỊCH PHÓ CHỦ TỊCH Nguyễn Văn An"},
	{Tag: "numberOfPage", Header: "Số trang", Kind: kindInt, Width: 8},
	{Tag: "language", Header: "Ngôn ngữ", Kind: kindCode, List: tt05.Language, Width: 12},
	{Tag: "mode", Header: "Chế độ sử dụng", Kind: kindCode, List: tt05.Mode, Width: 18},
	{Tag: "confidenceLevel", Header: "Mức độ tin cậy", Kind: kindCode, List: tt05.ConfidenceLevel, Width: 14},
	{Tag: "format", Header: "Tình trạng vật lý", Kind: kindCode, List: tt05.Format, Width: 14},
	{Tag: "keyword", Header: "Từ khóa", Width: 16},
	{Tag: "inforSign", Header: "Ký hiệu thông tin", Width: 12},
	{Tag: "autograph", Header: "Bút tích", Width: 20},
	{Tag: "description", Header: "Ghi chú", Width: 30},
	{Tag: "docCode", Header: "Mã lưu trữ tài liệu", Width: 30},
}

// batchRows are the rows of the "Lô" sheet: label, key, value in columns A, B, C.
var batchRows = []struct{ Label, Key, Sample string }{
	{"Mã lô", "id", ""},
	{"Tên cơ quan, tổ chức", "organisation.name", ""},
	{"Mã định danh cơ quan", "organisation.identifier", ""},
}

func columnsOf(sheet string) []column {
	if sheet == SheetFiles {
		return fileColumns
	}
	return docColumns
}
