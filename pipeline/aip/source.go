package aip

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"strconv"
	"time"
)

// RecordFile is where a finished batch package (the BagIt bag) keeps its
// record, relative to the bag root.
const RecordFile = "metadata/batch.json"

// Batch is what the packages of a batch are made from: the record of a
// finished batch package, read by ReadBatch.
type Batch struct {
	ID        string
	OrgName   string // the organisation whose records these are
	OrgID     string // its mã định danh
	Producer  string // the software and its version, e.g. "sohoa 0.1.0"
	Languages string // the OCR languages, e.g. "vie"
	Started   time.Time
	HoSo      []*HoSo
}

// HoSo is one hồ sơ of the batch with its documents.
type HoSo struct {
	Code      string // mã hồ sơ (fileCode)
	Meta      Values // its TT 05 metadata as given, by tag
	Documents []*Document
}

// Document is one document of a hồ sơ: its metadata and its signed PDF.
type Document struct {
	Ordinal    int
	Meta       Values // its TT 05 metadata, by tag
	Source     string // its folder or file in the batch
	Status     string // done, failed, …
	Error      string
	PDF        string // the PDF's path in the bag, e.g. data/H49…/H49….1.pdf
	PDFSHA256  string // lower-case hex, as the bag records it
	Pages      []Page
	Confidence float64 // mean OCR confidence
}

// Page is what the record says of one scanned page.
type Page struct {
	File     string  `json:"file"`
	FilePage int     `json:"filePage"`
	SHA256   string  `json:"sha256"`
	Format   string  `json:"format"`
	Color    string  `json:"color"`
	DPI      float64 `json:"dpi"`
	Geometry *struct {
		Orientation int     `json:"orientationDeg"`
		Skew        float64 `json:"skewDeg"`
	} `json:"normalization"`
}

// Complete reports whether every document of h is done, so that h may be
// packaged; reason says why not.
func (h *HoSo) Complete() (ok bool, reason string) {
	if len(h.Documents) == 0 {
		return false, "the hồ sơ has no document"
	}
	for _, d := range h.Documents {
		if d.Status != "done" {
			return false, fmt.Sprintf("document %s is %s: %s", d.Source, d.Status, d.Error)
		}
		if d.PDF == "" {
			return false, fmt.Sprintf("document %s has no PDF", d.Source)
		}
	}
	return true, ""
}

// Pages returns the number of pages of h.
func (h *HoSo) Pages() int {
	n := 0
	for _, d := range h.Documents {
		n += len(d.Pages)
	}
	return n
}

// ReadBatch reads the record of the finished batch package in bag.
func ReadBatch(bag fs.FS) (*Batch, error) {
	data, err := fs.ReadFile(bag, RecordFile)
	if err != nil {
		return nil, fmt.Errorf("batch record: %w", err)
	}
	var rec struct {
		ID           string `json:"id"`
		Organisation struct {
			Name       string `json:"name"`
			Identifier string `json:"identifier"`
		} `json:"organisation"`
		Producer  string                       `json:"producer"`
		Languages string                       `json:"ocrLanguages"`
		Started   time.Time                    `json:"started"`
		Files     []map[string]json.RawMessage `json:"files"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("batch record %s: %w", RecordFile, err)
	}
	b := &Batch{ID: rec.ID, OrgName: rec.Organisation.Name, OrgID: rec.Organisation.Identifier,
		Producer: rec.Producer, Languages: rec.Languages, Started: rec.Started}
	for i, f := range rec.Files {
		h := &HoSo{Meta: values(f)}
		h.Code = h.Meta["fileCode"]
		var docs []map[string]json.RawMessage
		if raw, ok := f["documents"]; ok {
			if err := json.Unmarshal(raw, &docs); err != nil {
				return nil, fmt.Errorf("batch record: files[%d].documents: %w", i, err)
			}
		}
		for j, dm := range docs {
			d := &Document{Meta: values(dm)}
			var extra struct {
				Ordinal    int     `json:"docOrdinal"`
				Source     string  `json:"source"`
				Status     string  `json:"status"`
				Error      string  `json:"error"`
				PDF        string  `json:"pdf"`
				PDFSHA256  string  `json:"pdfSha256"`
				Confidence float64 `json:"ocrConfidence"`
				Pages      []Page  `json:"pages"`
			}
			raw, _ := json.Marshal(dm)
			if err := json.Unmarshal(raw, &extra); err != nil {
				return nil, fmt.Errorf("batch record: files[%d].documents[%d]: %w", i, j, err)
			}
			d.Ordinal, d.Source, d.Status, d.Error = extra.Ordinal, extra.Source, extra.Status, extra.Error
			d.PDF, d.PDFSHA256, d.Confidence, d.Pages = extra.PDF, extra.PDFSHA256, extra.Confidence, extra.Pages
			h.Documents = append(h.Documents, d)
		}
		b.HoSo = append(b.HoSo, h)
	}
	return b, nil
}

// values keeps the string and number members of a record object as TT 05 values.
func values(m map[string]json.RawMessage) Values {
	v := Values{}
	for k, raw := range m {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			continue
		}
		switch raw[0] {
		case '"':
			var s string
			if json.Unmarshal(raw, &s) == nil {
				v[k] = s
			}
		case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			var n json.Number
			if json.Unmarshal(raw, &n) == nil {
				if i, err := n.Int64(); err == nil {
					v[k] = strconv.FormatInt(i, 10)
				}
			}
		}
	}
	return v
}
