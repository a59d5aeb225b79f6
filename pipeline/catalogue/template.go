package catalogue

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"github.com/sohoa-vn/sohoa/pipeline/tt05"
)

// dataRows is how many rows of each sheet get drop-down lists and date formats.
const dataRows = 2000

// help is the text of the "Hướng dẫn" sheet, one paragraph a row.
var help = []string{
	"MỤC LỤC HỒ SƠ, TÀI LIỆU (mucluc.xlsx) — cách điền",
	"1. Đặt tệp này, tên mucluc.xlsx, trong thư mục lô, bên cạnh các thư mục hồ sơ (mỗi thư mục mang tên mã hồ sơ). Không cần tệp batch.json.",
	"2. Trang \"Hồ sơ\": mỗi dòng một hồ sơ. Trang \"Văn bản\": mỗi dòng một văn bản, ghi mã hồ sơ và số thứ tự (trùng tên thư mục con 1, 2, 3… hoặc thứ tự tệp ảnh).",
	"3. Dòng 1 là tên cột, dòng 2 là thẻ theo Thông tư 05/2025/TT-BNV: không sửa hai dòng này. Dòng 3 là dòng ví dụ: ghi đè hoặc xóa đi.",
	"4. Ngày ghi DD/MM/YYYY (ví dụ 08/03/2024); thời gian của hồ sơ có thể ghi MM/YYYY hoặc YYYY. 8/3/2024 được chấp nhận và ghi lại thành 08/03/2024.",
	"5. Thời hạn lưu trữ, chế độ sử dụng, ngôn ngữ, tình trạng vật lý, mức độ tin cậy: chọn trong danh sách. Tên loại văn bản: chọn trong danh sách.",
	"6. Ô để trống: số, ký hiệu, ngày, trích yếu, cơ quan ban hành, người ký được đọc từ trang đầu (trang cuối cho người ký) và đánh dấu \"đọc từ trang\". Giá trị ghi trong mục lục luôn được ưu tiên; nếu khác với trang, văn bản được gắn cờ để kiểm tra.",
	"7. Kiểm tra trước khi xử lý: sohoa validate THƯ_MỤC_LÔ. Mỗi lỗi chỉ rõ trang, ô, giá trị và điều được phép.",
	"8. Trang \"Lô\" (không bắt buộc): mã lô, tên và mã định danh cơ quan.",
	"9. Hồ sơ quét liền thành một xấp: ghi 1 ở cột \"Quét thành một xấp\"; các trang để là tệp ảnh rời trong thư mục hồ sơ. Xấp được tách thành văn bản tại các trang đầu tìm thấy; muốn tách khác, ghi trang đầu từng văn bản (ví dụ 1, 3, 4).",
	"",
	"Code lists / Danh mục:",
}

// Template writes an empty catalogue workbook: the sheets "Hồ sơ" and "Văn bản" with
// Vietnamese headers and the TT 05 tag under each, drop-down lists for every code list
// and for typeName, date-formatted date columns, one example row each, the "Lô" sheet
// and a "Hướng dẫn" sheet.
func Template(w io.Writer) error {
	f, err := newWorkbook()
	if err != nil {
		return err
	}
	defer f.Close()
	for _, s := range []string{SheetFiles, SheetDocuments} {
		var sample []string
		for _, c := range columnsOf(s) {
			sample = append(sample, c.Sample)
		}
		if err := setRow(f, s, firstRow, sample); err != nil {
			return err
		}
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("catalogue template: %w", err)
	}
	return nil
}

// newWorkbook makes the workbook with its sheets, headers, lists and formats, and no data.
func newWorkbook() (*excelize.File, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", SheetFiles); err != nil {
		return nil, err
	}
	for _, s := range []string{SheetDocuments, SheetBatch, SheetHelp, SheetLists} {
		if _, err := f.NewSheet(s); err != nil {
			return nil, err
		}
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return nil, err
	}
	tag, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Italic: true, Color: "808080", Size: 9}})
	if err != nil {
		return nil, err
	}
	dateFmt := "dd/mm/yyyy"
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return nil, err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": keeps 05 and QĐ-UBND as typed
	if err != nil {
		return nil, err
	}
	// The "Danh mục" sheet holds the lists the drop-downs point at.
	lists := map[string]string{}
	listCol := 1
	addList := func(key string, entries []string) error {
		col, _ := excelize.ColumnNumberToName(listCol)
		listCol++
		if err := f.SetCellValue(SheetLists, col+"1", key); err != nil {
			return err
		}
		for i, e := range entries {
			if err := f.SetCellValue(SheetLists, fmt.Sprintf("%s%d", col, i+2), e); err != nil {
				return err
			}
		}
		lists[key] = fmt.Sprintf("'%s'!$%s$2:$%s$%d", SheetLists, col, col, len(entries)+1)
		return nil
	}
	for _, l := range []struct {
		key  string
		list tt05.CodeList
	}{{"maintenance", tt05.Maintenance}, {"mode", tt05.Mode}, {"language", tt05.Language}, {"format", tt05.Format},
		{"confidenceLevel", tt05.ConfidenceLevel}, {"riskRecoveryStatus", tt05.RiskStatus}} {
		if err := addList(l.key, l.list.Entries()); err != nil {
			return nil, err
		}
	}
	if err := addList("typeName", tt05.TypeNames()); err != nil {
		return nil, err
	}
	if err := addList("riskRecovery", []string{"1", "0"}); err != nil {
		return nil, err
	}
	if err := addList("stack", []string{"1", "0"}); err != nil {
		return nil, err
	}
	if err := f.SetSheetVisible(SheetLists, false); err != nil {
		return nil, err
	}

	for _, s := range []string{SheetFiles, SheetDocuments} {
		cols := columnsOf(s)
		for i, c := range cols {
			name, _ := excelize.ColumnNumberToName(i + 1)
			if err := f.SetCellValue(s, name+"1", c.Header); err != nil {
				return nil, err
			}
			if err := f.SetCellValue(s, name+"2", c.Tag); err != nil {
				return nil, err
			}
			if err := f.SetColWidth(s, name, name, c.Width); err != nil {
				return nil, err
			}
			rng := fmt.Sprintf("%s%d:%s%d", name, firstRow, name, dataRows)
			style := text
			if c.Kind == kindDate || c.Kind == kindDateFull {
				style = date
			}
			if c.Kind == kindInt || c.Kind == kindBool || c.Kind == kindFlag {
				style = 0
			}
			if style != 0 {
				if err := f.SetColStyle(s, name, style); err != nil {
					return nil, err
				}
			}
			if l, ok := lists[c.Tag]; ok && (c.Kind == kindCode || c.Kind == kindType || c.Kind == kindBool || c.Kind == kindFlag) {
				dv := excelize.NewDataValidation(true)
				dv.SetSqref(rng)
				dv.SetSqrefDropList(l)
				if c.Kind == kindType {
					// Other document types may be typed in: warn, do not stop.
					dv.SetError(excelize.DataValidationErrorStyleWarning, c.Header, "Tên loại không có trong danh sách")
				} else {
					dv.SetError(excelize.DataValidationErrorStyleStop, c.Header, "Chọn một giá trị trong danh sách")
				}
				dv.ShowErrorMessage = true
				if err := f.AddDataValidation(s, dv); err != nil {
					return nil, err
				}
			}
		}
		last, _ := excelize.ColumnNumberToName(len(cols))
		if err := f.SetCellStyle(s, "A1", last+"1", head); err != nil {
			return nil, err
		}
		if err := f.SetCellStyle(s, "A2", last+"2", tag); err != nil {
			return nil, err
		}
		if err := f.SetRowHeight(s, 1, 32); err != nil {
			return nil, err
		}
		if err := f.SetPanes(s, &excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft"}); err != nil {
			return nil, err
		}
	}
	for i, r := range batchRows {
		if err := setRow(f, SheetBatch, i+1, []string{r.Label, r.Key, r.Sample}); err != nil {
			return nil, err
		}
	}
	if err := f.SetColWidth(SheetBatch, "A", "C", 30); err != nil {
		return nil, err
	}
	row := 1
	for _, h := range help {
		if err := f.SetCellValue(SheetHelp, fmt.Sprintf("A%d", row), h); err != nil {
			return nil, err
		}
		row++
	}
	for _, l := range []struct {
		name string
		list tt05.CodeList
	}{{"Thời hạn lưu trữ (maintenance)", tt05.Maintenance}, {"Chế độ sử dụng (mode)", tt05.Mode}, {"Ngôn ngữ (language)", tt05.Language},
		{"Tình trạng vật lý (format)", tt05.Format}, {"Mức độ tin cậy (confidenceLevel)", tt05.ConfidenceLevel}} {
		if err := f.SetCellValue(SheetHelp, fmt.Sprintf("A%d", row), l.name+": "+l.list.Allowed()); err != nil {
			return nil, err
		}
		row++
	}
	if err := f.SetColWidth(SheetHelp, "A", "A", 140); err != nil {
		return nil, err
	}
	f.SetActiveSheet(0)
	return f, nil
}

func setRow(f *excelize.File, sheet string, row int, values []string) error {
	for i, v := range values {
		if v == "" {
			continue
		}
		name, _ := excelize.CoordinatesToCellName(i+1, row)
		if err := f.SetCellStr(sheet, name, v); err != nil {
			return err
		}
	}
	return nil
}
