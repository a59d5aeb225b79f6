package pipeline

import (
	"encoding/json"
	"math"
	"path/filepath"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/catalogue"
	"github.com/sohoa-vn/sohoa/pipeline/fields"
	"github.com/sohoa-vn/sohoa/pipeline/state"
)

// batchRecord is metadata/batch.json in the package: all metadata of the batch,
// plus what was found and done on every page.
type batchRecord struct {
	ID           string          `json:"id"`
	Organisation Organisation    `json:"organisation"`
	Metadata     json.RawMessage `json:"metadata,omitempty"`
	Producer     string          `json:"producer"`
	Languages    string          `json:"ocrLanguages"`
	Started      time.Time       `json:"started"`
	Finished     time.Time       `json:"finished"`
	Files        []*fileRecord   `json:"files"`
	Originals    []Original      `json:"originals"`
	Summary      *Report         `json:"summary"`

	byDoc  map[*Document]*docRecord
	byFile map[*File]*fileRecord
}

type fileRecord struct {
	FileMeta
	Documents []*docRecord `json:"documents"`
}

type docRecord struct {
	DocMeta
	Source         string         `json:"source"` // folder or file in the batch
	Status         state.DocState `json:"status"` // pending, then done or failed
	Error          string         `json:"error,omitempty"`
	PDF            string         `json:"pdf,omitempty"`
	PDFSHA256      string         `json:"pdfSha256,omitempty"`
	Text           string         `json:"text,omitempty"`
	TextSHA256     string         `json:"textSha256,omitempty"`
	ALTO           string         `json:"alto,omitempty"`
	ALTOSHA256     string         `json:"altoSha256,omitempty"`
	MeanConfidence float64        `json:"ocrConfidence"`
	Pages          []*pageRecord  `json:"pages"`

	// Flags are reasons the document needs a person's look (metadata-mismatch).
	Flags []string `json:"flags,omitempty"`
	// FieldSources says where each metadata value came from: the catalogue or the page.
	FieldSources map[string]catalogue.FieldSource `json:"fieldSources,omitempty"`
	// Mismatches are fields where the page disagrees with the catalogue (the catalogue's value is used).
	Mismatches []Mismatch `json:"mismatches,omitempty"`
	// PageFields is everything read from the page, with confidences.
	PageFields *fields.Fields `json:"pageFields,omitempty"`
	// Secrecy is a secrecy mark found on the pages.
	Secrecy string `json:"secrecy,omitempty"`
	// Split is how the document was cut out of a stack.
	Split *Split `json:"split,omitempty"`
}

// fields records what the pages said about the document's metadata. The text read from
// a secret document's pages is not recorded.
func (dr *docRecord) fields(d *Document, df *DocFields) {
	if df == nil {
		return
	}
	dr.Secrecy = df.Secrecy
	if df.Secrecy != "" {
		return
	}
	dr.DocMeta = d.Meta
	dr.FieldSources = df.Sources
	dr.Mismatches = df.Mismatches
	page := df.Page
	dr.PageFields = &page
	if len(df.Mismatches) > 0 {
		dr.Flags = append(dr.Flags, FlagMetadataMismatch)
	}
}

type pageRecord struct {
	Page          int              `json:"page"`
	File          string           `json:"file"`
	FilePage      int              `json:"filePage"`
	SHA256        string           `json:"sha256,omitempty"`
	Format        string           `json:"format,omitempty"`
	Color         string           `json:"color,omitempty"`
	ScanWidth     int              `json:"scanWidth,omitempty"`
	ScanHeight    int              `json:"scanHeight,omitempty"`
	DPI           float64          `json:"dpi"`               // the resolution used
	FileDPI       float64          `json:"fileDpi,omitempty"` // the resolution the file records, if any
	Geometry      *Geometry        `json:"normalization,omitempty"`
	Crop          []int            `json:"crop,omitempty"` // x0, y0, x1, y1 in the upright, deskewed image
	Width         int              `json:"width,omitempty"`
	Height        int              `json:"height,omitempty"`
	OCRConfidence float64          `json:"ocrConfidence"`
	Words         int              `json:"words"`
	Flags         []string         `json:"flags,omitempty"`
	Error         string           `json:"error,omitempty"`
	TimingsMs     map[string]int64 `json:"timingsMs,omitempty"`
}

func newRecord(b *Batch, opts Options, start time.Time) *batchRecord {
	rec := &batchRecord{ID: b.ID, Organisation: b.Organisation, Metadata: b.Extra, Producer: opts.Producer,
		Languages: opts.Languages, Started: start, byDoc: map[*Document]*docRecord{}, byFile: map[*File]*fileRecord{}}
	for _, f := range b.Files {
		fr := &fileRecord{FileMeta: f.Meta}
		for _, d := range f.Documents {
			fr.Documents = append(fr.Documents, rec.newDocument(d))
		}
		rec.Files = append(rec.Files, fr)
		rec.byFile[f] = fr
	}
	return rec
}

func (rec *batchRecord) newDocument(d *Document) *docRecord {
	dr := &docRecord{DocMeta: d.Meta, Source: d.Source, Status: state.DocPending, Split: d.Split}
	for _, pg := range d.Pages {
		dr.Pages = append(dr.Pages, &pageRecord{Page: pg.Index, File: pg.File, FilePage: pg.FilePage, DPI: pg.DPI, FileDPI: pg.Info.DPIX,
			Format: string(pg.Info.Format), Color: pg.Info.ColorModel, ScanWidth: pg.Info.Width, ScanHeight: pg.Info.Height})
	}
	rec.byDoc[d] = dr
	return dr
}

// split replaces the record of the stack d of f by the records of the documents cut out
// of it, and records the first pages used.
func (rec *batchRecord) split(f *File, d *Document, parts []*Document, firsts []int) {
	fr := rec.byFile[f]
	old := rec.byDoc[d]
	var docs []*docRecord
	for _, dr := range fr.Documents {
		if dr != old {
			docs = append(docs, dr)
			continue
		}
		for _, p := range parts {
			docs = append(docs, rec.newDocument(p))
		}
	}
	fr.Documents = docs
	fr.FirstPages = firsts
	delete(rec.byDoc, d)
}

// document fills in the record of a document from its page results.
func (rec *batchRecord) document(f *File, d *Document, results []*PageResult, errs []error) *docRecord {
	dr := rec.byDoc[d]
	var sum float64
	var n int
	for i, pr := range dr.Pages {
		if i < len(errs) && errs[i] != nil {
			pr.Error = errs[i].Error()
		}
		if i >= len(results) || results[i] == nil {
			continue
		}
		res := results[i]
		geo := res.Geometry
		pr.SHA256 = res.Original.SHA256
		pr.Geometry = &geo
		if geo.Cropped {
			pr.Crop = []int{geo.Crop.Min.X, geo.Crop.Min.Y, geo.Crop.Max.X, geo.Crop.Max.Y}
		}
		pr.Width, pr.Height = res.Width, res.Height
		pr.OCRConfidence = round2(res.OCR.MeanConfidence)
		pr.Words = len(res.OCR.Words)
		pr.Flags = res.Flags
		pr.TimingsMs = map[string]int64{
			StageDecode: res.Timings.Decode.Milliseconds(), StageNormalize: res.Timings.Normalize.Milliseconds(),
			StageOCR: res.Timings.OCR.Milliseconds(), StageEncode: res.Timings.Encode.Milliseconds(),
		}
		if res.SignerWords != nil || res.Timings.Signer > time.Millisecond {
			pr.TimingsMs[StageSigner] = res.Timings.Signer.Milliseconds()
		}
		sum += res.OCR.MeanConfidence
		n++
	}
	if n > 0 {
		dr.MeanConfidence = round2(sum / float64(n))
	}
	return dr
}

func (rec *batchRecord) finish(rep *Report, originals map[string]Original, now time.Time) {
	rec.Finished = now
	// The package records its own name, not where it was first written: a
	// rebuilt package (a queue task delivered again) is then byte-identical.
	sum := *rep
	sum.Bag = filepath.Base(rep.Bag)
	rec.Summary = &sum
	rec.Originals = sortedOriginals(originals)
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
