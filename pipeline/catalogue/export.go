package catalogue

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/xuri/excelize/v2"
)

// Source of a metadata value.
const (
	SourceCatalogue = "catalogue" // given in batch.json or the catalogue
	SourcePage      = "page"      // read from the page by the field reader
)

// FieldSource is where one value of a document came from, as recorded in a package's
// metadata/batch.json under "fieldSources".
type FieldSource struct {
	Source     string  `json:"source"`
	Confidence float64 `json:"confidence,omitempty"`
}

// packageRecord is the part of a package's metadata/batch.json that Export needs.
type packageRecord struct {
	ID           string            `json:"id"`
	Organisation map[string]string `json:"organisation"`
	Files        []map[string]any  `json:"files"`
}

// Export writes the catalogue of the package in dir (its metadata/batch.json) as a
// workbook: the values actually used, given or read from the page, and on the sheet
// "Nguồn" where each came from. Reading the workbook back gives the same metadata.
func Export(dir string, w io.Writer) error {
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(bag.BatchRecordFile)))
	if err != nil {
		return fmt.Errorf("catalogue export: %w", err)
	}
	var rec packageRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return fmt.Errorf("catalogue export: metadata/batch.json: %w", err)
	}
	f, err := newWorkbook()
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.NewSheet(SheetSources); err != nil {
		return err
	}
	if err := setRow(f, SheetSources, 1, []string{"Ô (cell)", "Thẻ (tag)", "Giá trị (value)", "Nguồn (source)", "Độ tin cậy (confidence)"}); err != nil {
		return err
	}
	srcRow := 2
	for i, r := range batchRows {
		v := rec.ID
		switch r.Key {
		case "organisation.name":
			v = rec.Organisation["name"]
		case "organisation.identifier":
			v = rec.Organisation["identifier"]
		}
		if err := setRow(f, SheetBatch, i+1, []string{r.Label, r.Key, v}); err != nil {
			return err
		}
	}
	fileRow, docRow := firstRow, firstRow
	for _, file := range rec.Files {
		if err := setRow(f, SheetFiles, fileRow, cellValues(fileColumns, file)); err != nil {
			return err
		}
		fileRow++
		docs, _ := file["documents"].([]any)
		for _, d := range docs {
			doc, ok := d.(map[string]any)
			if !ok {
				continue
			}
			doc["fileCode"] = file["fileCode"]
			if err := setRow(f, SheetDocuments, docRow, cellValues(docColumns, doc)); err != nil {
				return err
			}
			var sources map[string]FieldSource
			if raw, err := json.Marshal(doc["fieldSources"]); err == nil {
				json.Unmarshal(raw, &sources)
			}
			for ci, c := range docColumns {
				v := text(doc[c.Tag])
				if v == "" || c.Tag == "fileCode" || c.Tag == "docOrdinal" {
					continue
				}
				s, ok := sources[c.Tag]
				if !ok {
					s = FieldSource{Source: SourceCatalogue}
				}
				conf := ""
				if s.Confidence > 0 {
					conf = strconv.FormatFloat(s.Confidence, 'f', 2, 64)
				}
				cell, _ := excelize.CoordinatesToCellName(ci+1, docRow)
				if err := setRow(f, SheetSources, srcRow, []string{SheetDocuments + "!" + cell, c.Tag, v, s.Source, conf}); err != nil {
					return err
				}
				srcRow++
			}
			docRow++
		}
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("catalogue export: %w", err)
	}
	return nil
}

// cellValues returns the cells of one row: the record's value for every column, codes
// as the drop-down entry ("01 Vĩnh viễn").
func cellValues(cols []column, rec map[string]any) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		v := text(rec[c.Tag])
		if c.Kind == kindCode && c.List[v] != "" {
			v = v + " " + c.List[v]
		}
		out[i] = v
	}
	return out
}

func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "1"
		}
		return ""
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = text(e)
		}
		return strings.Join(parts, ", ")
	default:
		return fmt.Sprint(x)
	}
}
