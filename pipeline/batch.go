// Package pipeline holds the batch model, its validation, the stages that turn
// scanned pages into archival documents, and the in-process runner that drives
// them.
//
// Data flows one way: a batch folder is loaded and validated (Load), each page
// is decoded, normalized and recognised (ProcessPage), each document becomes a
// PDF/A file and a text file (BuildDocument), and the batch becomes a BagIt
// package (Process). The queue workers drive the same stage functions.
package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sohoa-vn/sohoa/pipeline/catalogue"
	"github.com/sohoa-vn/sohoa/pipeline/scan"
)

// MinDPI is the lowest resolution accepted for administrative documents (TT 05/2025).
const MinDPI = 200

// MetadataFile is the name of the optional metadata sheet at the top of a batch folder.
const MetadataFile = "batch.json"

// Batch is a scanning station's batch: hồ sơ folders holding documents made of pages.
type Batch struct {
	ID           string
	Dir          string // absolute path of the batch folder
	Organisation Organisation
	Files        []*File
	// Extra holds batch.json's "metadata" object, carried into the package unchanged.
	Extra json.RawMessage
	// Sheet is the metadata file the batch was described by: batch.json, mucluc.xlsx,
	// mucluc.csv (with mucluc-hoso.csv), or "" when there is none.
	Sheet string
	// Notes are values of a catalogue accepted after normalisation (8/3/2024 → 08/03/2024).
	Notes []Problem
}

// File is one hồ sơ of a batch.
type File struct {
	Meta      FileMeta
	Dir       string // slash path relative to the batch folder
	Documents []*Document

	stackMetas map[int]*DocMeta // a stack's document metadata by ordinal, for when it is split
}

// Document is one văn bản of a hồ sơ.
type Document struct {
	Meta   DocMeta
	Source string // slash path of its folder or file, relative to the batch folder
	Pages  []*Page
	// Stack is a whole hồ sơ scanned as one stack, to be split into documents
	// once its pages are read (FileMeta.Stack).
	Stack bool
	// Split is how the document was cut out of a stack; nil for other documents.
	Split *Split

	given *DocMeta // the catalogue metadata, kept when fields read from the page fill Meta
}

// ApplyFields merges what the pages say into d.Meta, always starting from the
// metadata the document was loaded with, and returns what was read and used.
func (d *Document) ApplyFields(pages []*PageResult) *DocFields {
	if d.given == nil {
		g := d.Meta
		d.given = &g
	}
	df := ReadDocumentFields(*d.given, pages)
	d.Meta = df.Meta
	return df
}

// Page is one scanned page.
type Page struct {
	Index    int     // 1-based position in the document
	File     string  // slash path of the image file, relative to the batch folder
	FilePage int     // 1-based page within the file (multi-page TIFF)
	DPI      float64 // resolution used for the page (from the file, or the --dpi override)
	Info     scan.Info
	// Unreadable is why the page could not be read; Load refuses a batch with
	// unreadable headers, so only a structure built otherwise carries one, and
	// such a page fails its document when processed.
	Unreadable error
}

// Pages returns the number of pages in the batch.
func (b *Batch) Pages() int {
	n := 0
	for _, f := range b.Files {
		for _, d := range f.Documents {
			n += len(d.Pages)
		}
	}
	return n
}

// Documents returns the number of documents in the batch.
func (b *Batch) Documents() int {
	n := 0
	for _, f := range b.Files {
		n += len(f.Documents)
	}
	return n
}

// Problem is one thing wrong with a batch, found before processing starts.
type Problem struct {
	File  string `json:"file"`            // the file or folder, relative to the batch folder
	Page  int    `json:"page,omitempty"`  // 1-based page within File, when it concerns one page
	Field string `json:"field,omitempty"` // the metadata field, e.g. files[0].documents[1].issuedDate
	Value string `json:"value,omitempty"` // the offending value
	What  string `json:"what"`            // what is wrong and what is allowed
	// Cell is the spreadsheet cell of a catalogue problem, e.g. Văn bản!E7.
	Cell string `json:"cell,omitempty"`
}

func (p Problem) String() string {
	if p.Cell != "" {
		if p.Value != "" {
			return fmt.Sprintf("%s: %q %s", p.Cell, p.Value, p.What)
		}
		return fmt.Sprintf("%s: %s", p.Cell, p.What)
	}
	var b strings.Builder
	b.WriteString(p.File)
	if p.Page > 0 {
		fmt.Fprintf(&b, " page %d", p.Page)
	}
	if p.Field != "" {
		fmt.Fprintf(&b, ": %s", p.Field)
		if p.Value != "" {
			fmt.Fprintf(&b, " = %q", p.Value)
		}
	}
	b.WriteString(": ")
	b.WriteString(p.What)
	return b.String()
}

// ValidationError lists every problem found in a batch.
type ValidationError struct {
	Dir      string
	Problems []Problem
}

func (e *ValidationError) Error() string {
	lines := make([]string, 0, len(e.Problems)+1)
	lines = append(lines, fmt.Sprintf("batch %s: %d problem(s):", e.Dir, len(e.Problems)))
	for _, p := range e.Problems {
		lines = append(lines, "  "+p.String())
	}
	return strings.Join(lines, "\n")
}

// LoadOptions controls Load.
type LoadOptions struct {
	// DPI, when positive, is the resolution of pages whose files record none
	// (or 1 or 72 dpi, which scanners write when they record nothing); it
	// never overrides a resolution a file records. See PageDPI.
	DPI float64
	// Isolated allows secret documents (mode 03); set only on an isolated installation.
	Isolated bool
	// RequireColour refuses pages scanned under 24-bit colour (ColourRule)
	// instead of flagging them.
	RequireColour bool
	// Lang is the language of a catalogue's problems and notes: "en" for English,
	// Vietnamese otherwise.
	Lang string
	// PageBudget bounds the decoded size of each page in bytes (see
	// scan.PageBudget); 0 means the default for this machine's memory and
	// cores, negative means no bound.
	PageBudget int64
}

type sheet struct {
	ID           string          `json:"id"`
	Organisation Organisation    `json:"organisation"`
	Metadata     json.RawMessage `json:"metadata,omitempty"`
	Files        []sheetFile     `json:"files"`
}

type sheetFile struct {
	FileMeta
	Documents []DocMeta `json:"documents,omitempty"`
}

// ReservedID is the one batch id refused: the archive and a process output
// folder keep the AIP_hoso packages under aip/<batch id>/ (aip.ArchivePrefix),
// beside each batch's package at <batch id>/.
const ReservedID = "aip"

var batchIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// Load reads and validates the batch folder dir: its metadata sheet, its
// folder structure, and the header of every page file (format, size, dpi).
// It reports every problem at once as a *ValidationError. No pixels are decoded.
func Load(ctx context.Context, dir string, opts LoadOptions) (*Batch, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("batch %s: %w", dir, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("batch %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("batch %s: not a folder", dir)
	}
	var probs []Problem
	b := &Batch{Dir: abs, ID: filepath.Base(abs)}

	var sh sheet
	declared := map[string]*sheetFile{}
	data, cat, err := readMetadata(abs, &probs, opts.Lang)
	if err != nil {
		return nil, fmt.Errorf("batch %s: %w", dir, err)
	}
	if cat != nil {
		b.Sheet = cat.Name
		for _, n := range cat.Notes {
			b.Notes = append(b.Notes, Problem{File: cat.Name, Cell: n.Cell, Field: n.Field, Value: n.Value, What: n.Text(opts.Lang)})
		}
	} else if data != nil {
		b.Sheet = MetadataFile
		text, p := DecodeUTF8(MetadataFile, data)
		if p != nil {
			probs = append(probs, *p)
			data = nil
		} else {
			data = text
		}
	}
	if data != nil {
		probs = append(probs, readSheet(data, &sh)...)
		if sh.ID != "" {
			b.ID = sh.ID
		}
		b.Organisation = sh.Organisation
		b.Extra = sh.Metadata
		for i := range sh.Files {
			f := &sh.Files[i]
			if _, dup := declared[f.FileCode]; dup {
				probs = append(probs, Problem{File: MetadataFile, Field: fmt.Sprintf("files[%d].fileCode", i), Value: f.FileCode, What: "listed twice"})
			}
			declared[f.FileCode] = f
		}
	}
	if !batchIDPattern.MatchString(b.ID) {
		probs = append(probs, Problem{File: MetadataFile, Field: "id", Value: b.ID, What: "batch id must be 1–128 of A–Z a–z 0–9 . _ - (starting with a letter or digit)"})
	}
	if b.ID == ReservedID {
		probs = append(probs, Problem{File: MetadataFile, Field: "id", Value: b.ID, What: "reserved: the archive keeps the AIP_hoso packages under aip/"})
	}

	entries, err := os.ReadDir(abs)
	if err != nil {
		return nil, fmt.Errorf("batch %s: %w", dir, err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		name := e.Name()
		if ignored(name) || name == MetadataFile || catalogue.IsCatalogueFile(name) {
			continue
		}
		if p := nameProblem("", name); p != nil {
			probs = append(probs, *p)
			continue
		}
		if !e.IsDir() {
			probs = append(probs, Problem{File: name, What: "a loose file at the top of the batch: pages belong in a hồ sơ folder named by its mã hồ sơ"})
			continue
		}
		seen[name] = true
		f := &File{Dir: name, Meta: FileMeta{FileCode: name}}
		var docMeta []DocMeta
		where := problems{list: &probs, where: name + "/", path: ""}
		sf, isDeclared := declared[name]
		if isDeclared {
			f.Meta = sf.FileMeta
			docMeta = sf.Documents
			where = problems{list: &probs, where: MetadataFile, path: fmt.Sprintf("files[%d].", indexOf(sh.Files, name))}
		}
		// An undeclared folder takes its metadata from its name (fileCode) and the defaults.
		where.validateFile(&f.Meta, isDeclared)
		defaultFile(&f.Meta)
		probs = append(probs, loadDocuments(abs, f, docMeta, where, opts)...)
		b.Files = append(b.Files, f)
	}
	for i, sf := range sh.Files {
		if !seen[sf.FileCode] {
			probs = append(probs, Problem{File: MetadataFile, Field: fmt.Sprintf("files[%d].fileCode", i), Value: sf.FileCode, What: "no folder of that name in the batch"})
		}
	}
	if len(b.Files) == 0 && len(probs) == 0 {
		probs = append(probs, Problem{File: ".", What: "the batch holds no hồ sơ folder"})
	}
	if b.Organisation.Identifier == "" && len(b.Files) > 0 {
		if m := fileCodePattern.FindStringSubmatch(b.Files[0].Meta.FileCode); m != nil {
			b.Organisation.Identifier = m[1]
		}
	}
	if b.Organisation.Name == "" {
		b.Organisation.Name = b.Organisation.Identifier
	}
	for _, f := range b.Files {
		for _, d := range f.Documents {
			if !opts.Isolated && (f.Meta.Mode == ModeSecret || d.Meta.Mode == ModeSecret) {
				probs = append(probs, Problem{File: d.Source, Field: "mode", Value: ModeSecret,
					What: "secret document (MẬT / TỐI MẬT / TUYỆT MẬT) refused: this installation is not configured as isolated"})
			}
		}
	}
	if cat != nil {
		locateInCatalogue(cat, probs, opts.Lang)
	}
	if len(probs) > 0 {
		return nil, &ValidationError{Dir: dir, Problems: probs}
	}
	return b, nil
}

// readMetadata returns the batch.json document of the batch folder dir: batch.json
// itself, or the document a spreadsheet catalogue stands for (with the catalogue);
// nil when the folder has neither. Problems of the catalogue are added to probs.
func readMetadata(dir string, probs *[]Problem, lang string) ([]byte, *catalogue.Catalogue, error) {
	names := catalogue.Find(dir)
	if _, err := os.Stat(filepath.Join(dir, catalogue.CSVFilesName)); err == nil && (len(names) == 0 || names[0] != catalogue.CSVName) {
		*probs = append(*probs, Problem{File: catalogue.CSVFilesName, What: catalogue.Localize("the Hồ sơ sheet as CSV is read only with the Văn bản sheet as "+catalogue.CSVName+" (and no batch.json or "+catalogue.XLSXName+")", lang)})
	}
	data, err := os.ReadFile(filepath.Join(dir, MetadataFile))
	switch {
	case err == nil && len(names) > 0:
		*probs = append(*probs, Problem{File: names[0], What: catalogue.Localize("the batch has both "+MetadataFile+" and "+names[0]+": keep one of them", lang)})
		return data, nil, nil
	case err == nil:
		return data, nil, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, nil, err
	case len(names) == 0:
		return nil, nil, nil
	case len(names) > 1:
		*probs = append(*probs, Problem{File: names[1], What: catalogue.Localize("the batch has both "+strings.Join(names, " and ")+": keep one of them", lang)})
	}
	cat, err := catalogue.Read(dir, names[0])
	if err != nil {
		*probs = append(*probs, Problem{File: names[0], What: err.Error()})
		return nil, nil, nil
	}
	for _, p := range cat.Problems {
		*probs = append(*probs, Problem{File: cat.Name, Cell: p.Cell, Field: p.Field, Value: p.Value, What: p.Text(lang)})
	}
	return cat.JSON, cat, nil
}

// locateInCatalogue gives every problem of the metadata sheet the cell it comes from
// and explains it in lang.
func locateInCatalogue(cat *catalogue.Catalogue, probs []Problem, lang string) {
	for i := range probs {
		p := &probs[i]
		if p.File != MetadataFile {
			continue
		}
		p.File = cat.Name
		p.What = catalogue.Localize(p.What, lang)
		if p.Cell == "" {
			p.Cell = cat.Locate(p.Field)
		}
		if p.Cell == "" {
			p.Cell = cat.Name
		}
	}
}

func indexOf(fs []sheetFile, code string) int {
	for i := range fs {
		if fs[i].FileCode == code {
			return i
		}
	}
	return -1
}

// readSheet decodes batch.json and lists unknown fields.
func readSheet(data []byte, sh *sheet) []Problem {
	var probs []Problem
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(sh); err != nil {
		p := Problem{File: MetadataFile, What: "not valid JSON for a batch sheet: " + err.Error()}
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := lineColumn(data, se.Offset)
			p.What = fmt.Sprintf("line %d, column %d: not valid JSON: %v", line, col, err)
		} else if errors.Is(err, io.ErrUnexpectedEOF) {
			line, col := lineColumn(data, int64(len(data)))
			p.What = fmt.Sprintf("line %d, column %d: not valid JSON: the file ends before the JSON does (a missing ] or })", line, col)
		}
		if errors.As(err, &te) {
			line, col := lineColumn(data, te.Offset)
			p.Field = te.Field
			p.What = fmt.Sprintf("line %d, column %d: has a JSON %s where a %s is expected", line, col, te.Value, te.Type)
		}
		return []Problem{p}
	}
	var raw map[string]json.RawMessage
	json.Unmarshal(data, &raw)
	probs = append(probs, unknownKeys(raw, reflect.TypeOf(sheet{}), "")...)
	var files []map[string]json.RawMessage
	json.Unmarshal(raw["files"], &files)
	for i, f := range files {
		prefix := fmt.Sprintf("files[%d].", i)
		probs = append(probs, unknownKeys(f, reflect.TypeOf(sheetFile{}), prefix)...)
		var docs []map[string]json.RawMessage
		json.Unmarshal(f["documents"], &docs)
		for j, d := range docs {
			probs = append(probs, unknownKeys(d, reflect.TypeOf(DocMeta{}), fmt.Sprintf("%sdocuments[%d].", prefix, j))...)
		}
	}
	var org map[string]json.RawMessage
	json.Unmarshal(raw["organisation"], &org)
	probs = append(probs, unknownKeys(org, reflect.TypeOf(Organisation{}), "organisation.")...)
	return probs
}

// lineColumn returns the 1-based line and column (in characters) of byte offset off in data:
// for a syntax error, the offset just after the character that is wrong.
func lineColumn(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	col = utf8.RuneCount(before[lineStart:])
	if col == 0 {
		col = 1
	}
	return line, col
}

func unknownKeys(m map[string]json.RawMessage, t reflect.Type, prefix string) []Problem {
	known := map[string]bool{}
	var collect func(reflect.Type)
	collect = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous {
				collect(f.Type)
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			known[name] = true
		}
	}
	collect(t)
	var probs []Problem
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !known[k] {
			probs = append(probs, Problem{File: MetadataFile, Field: prefix + k, What: "unknown field (see the tags of vn-archives: fileCode, title, maintenance, … typeName, codeNumber, …)"})
		}
	}
	return probs
}

func defaultFile(m *FileMeta) {
	if m.Language == "" {
		m.Language = "01"
	}
	if m.Mode == "" {
		m.Mode = "01"
	}
	if m.ConfidenceLevel == "" {
		m.ConfidenceLevel = ConfidenceDigitized
	}
}

// unrecorded reports whether a resolution read from a file means "not
// recorded": none, or 1 or 72 dpi, which scanners and image libraries write
// when they know nothing better.
func unrecorded(dpi float64) bool { return dpi == 0 || dpi == 1 || dpi == 72 }

// PageDPI decides the resolution of a page whose file records dpiX by dpiY
// (0 when it records none), given the --dpi (or upload ?dpi=) value given
// (0 when not given). given only supplies a resolution the file does not
// record (or records as 1 or 72); a resolution the file records is always
// the page's, and one under MinDPI is refused whatever given says. what is
// the problem, "" when the page's resolution is acceptable.
func PageDPI(dpiX, dpiY, given float64) (dpi float64, what string) {
	if dpiX == 0 {
		dpiX = dpiY
	}
	if dpiY == 0 {
		dpiY = dpiX
	}
	if !unrecorded(dpiX) && !unrecorded(dpiY) {
		if low := min(dpiX, dpiY); low < MinDPI {
			return dpiX, fmt.Sprintf("resolution %g dpi (as recorded in the file) is under the %d dpi minimum (TT 05/2025): rescan at %d dpi or more; --dpi cannot change a resolution the file records",
				low, MinDPI, MinDPI)
		}
		return dpiX, ""
	}
	switch {
	case given <= 0 && dpiX == 0:
		return 0, "the file records no resolution: give it with --dpi N"
	case given <= 0:
		return dpiX, fmt.Sprintf("the file records %g dpi, which scanners write when they record no resolution: give the true resolution with --dpi N", dpiX)
	case given < MinDPI:
		return given, fmt.Sprintf("--dpi %g is under the %d dpi minimum (TT 05/2025): rescan at %d dpi or more", given, MinDPI, MinDPI)
	}
	return given, ""
}

// DocCode returns the default mã lưu trữ tài liệu of a document: the file code
// followed by the 7-digit ordinal.
func DocCode(fileCode string, ordinal int) string {
	return fmt.Sprintf("%s.%07d", fileCode, ordinal)
}

// loadDocuments lists the documents of a hồ sơ folder: numbered sub-folders of
// pages, or image files that are one document each.
func loadDocuments(root string, f *File, metas []DocMeta, where problems, opts LoadOptions) []Problem {
	var probs []Problem
	entries, err := os.ReadDir(filepath.Join(root, f.Dir))
	if err != nil {
		return []Problem{{File: f.Dir + "/", What: err.Error()}}
	}
	var dirs, files []string
	for _, e := range entries {
		if p := nameProblem(f.Dir, e.Name()); p != nil && !ignored(e.Name()) {
			probs = append(probs, *p)
			continue
		}
		switch {
		case ignored(e.Name()):
		case e.IsDir():
			dirs = append(dirs, e.Name())
		default:
			files = append(files, e.Name())
		}
	}
	sortNatural(dirs)
	sortNatural(files)
	if len(dirs) > 0 && len(files) > 0 {
		return []Problem{{File: f.Dir + "/", What: "mixes document folders and loose image files: use either numbered folders (1/, 2/, …) or one image file per document"}}
	}
	type docSrc struct {
		ordinal int
		source  string   // the document's folder or file
		dir     string   // the folder its page files are in
		files   []string // page file names
	}
	var srcs []docSrc
	if f.Meta.Stack {
		if len(dirs) > 0 {
			return []Problem{{File: f.Dir + "/", What: "a stack hồ sơ holds its pages as loose files, in order, not in document folders"}}
		}
		if len(files) > 0 {
			srcs = append(srcs, docSrc{1, f.Dir, f.Dir, files})
		}
	} else if len(dirs) > 0 {
		for _, d := range dirs {
			n, err := strconv.Atoi(d)
			if err != nil || n < 1 || strconv.Itoa(n) != d {
				probs = append(probs, Problem{File: path.Join(f.Dir, d) + "/", What: "document folders must be named by their ordinal: 1, 2, 3, …"})
				continue
			}
			pe, err := os.ReadDir(filepath.Join(root, f.Dir, d))
			if err != nil {
				probs = append(probs, Problem{File: path.Join(f.Dir, d) + "/", What: err.Error()})
				continue
			}
			var pages []string
			badNames := false
			for _, e := range pe {
				if ignored(e.Name()) {
					continue
				}
				if p := nameProblem(path.Join(f.Dir, d), e.Name()); p != nil {
					probs = append(probs, *p)
					badNames = true
					continue
				}
				if e.IsDir() {
					probs = append(probs, Problem{File: path.Join(f.Dir, d, e.Name()) + "/", What: "unexpected folder inside a document folder"})
					continue
				}
				pages = append(pages, e.Name())
			}
			sortNatural(pages)
			if len(pages) == 0 {
				if !badNames {
					probs = append(probs, Problem{File: path.Join(f.Dir, d) + "/", What: "document folder holds no page"})
				}
				continue
			}
			srcs = append(srcs, docSrc{n, path.Join(f.Dir, d), path.Join(f.Dir, d), pages})
		}
	} else {
		for i, name := range files {
			srcs = append(srcs, docSrc{i + 1, path.Join(f.Dir, name), f.Dir, []string{name}})
		}
	}
	if len(srcs) == 0 && len(probs) == 0 {
		probs = append(probs, Problem{File: f.Dir + "/", What: "hồ sơ folder holds no document"})
	}

	byOrdinal := map[int]*DocMeta{}
	for i := range metas {
		m := &metas[i]
		dp := problems{list: &probs, where: where.where, path: fmt.Sprintf("%sdocuments[%d].", where.path, i)}
		dp.validateDoc(f.Meta.FileCode, m)
		if _, dup := byOrdinal[m.DocOrdinal]; dup {
			dp.add("docOrdinal", strconv.Itoa(m.DocOrdinal), "listed twice")
		}
		byOrdinal[m.DocOrdinal] = m
	}
	found := map[int]bool{}
	for _, s := range srcs {
		d := &Document{Source: s.source, Meta: DocMeta{DocOrdinal: s.ordinal}}
		if m, ok := byOrdinal[s.ordinal]; ok {
			d.Meta = *m
		}
		found[s.ordinal] = true
		if d.Meta.DocCode == "" {
			d.Meta.DocCode = DocCode(f.Meta.FileCode, s.ordinal)
		}
		if d.Meta.Mode == "" {
			d.Meta.Mode = f.Meta.Mode
		}
		if d.Meta.Language == "" {
			d.Meta.Language = f.Meta.Language
		}
		if d.Meta.ConfidenceLevel == "" {
			d.Meta.ConfidenceLevel = f.Meta.ConfidenceLevel
		}
		for _, name := range s.files {
			rel := path.Join(s.dir, name)
			if !scan.IsImageFile(name) {
				probs = append(probs, Problem{File: rel, What: "not a supported page image (TIFF, JPEG or PNG)"})
				continue
			}
			infos, err := scan.Inspect(filepath.Join(root, filepath.FromSlash(rel)))
			if err != nil {
				probs = append(probs, headerProblem(rel, err))
				continue
			}
			for _, in := range infos {
				dpi, what := PageDPI(in.DPIX, in.DPIY, opts.DPI)
				if what != "" {
					probs = append(probs, Problem{File: rel, Page: in.Page, What: what})
				}
				if opts.RequireColour && Under24Bit(in.ColorModel) {
					probs = append(probs, Problem{File: rel, Page: in.Page, What: fmt.Sprintf("scanned as %s, under 24-bit colour (%s); rescan in colour", in.ColorModel, ColourRule)})
				}
				if err := scan.CheckBudget(in, opts.pageBudget()); err != nil {
					probs = append(probs, Problem{File: rel, Page: in.Page, What: err.Error()})
				}
				d.Pages = append(d.Pages, &Page{Index: len(d.Pages) + 1, File: rel, FilePage: in.Page, Info: in, DPI: dpi})
			}
		}
		f.Documents = append(f.Documents, d)
	}
	if f.Meta.Stack {
		// The documents of a stack are known once it is split: their metadata waits till then.
		f.stackMetas = byOrdinal
		if len(f.Documents) == 1 {
			d := f.Documents[0]
			d.Stack = true
			if n := f.Meta.FirstPages; len(n) > 0 && n[len(n)-1] > len(d.Pages) {
				where.add("firstPages", fmt.Sprint(n), fmt.Sprintf("a stack has %d pages; its first pages must be within them", len(d.Pages)))
			}
		}
		return probs
	}
	for i := range metas {
		if !found[metas[i].DocOrdinal] && metas[i].DocOrdinal > 0 {
			probs = append(probs, Problem{File: where.where, Field: fmt.Sprintf("%sdocuments[%d].docOrdinal", where.path, i), Value: strconv.Itoa(metas[i].DocOrdinal), What: "no document with that ordinal in folder " + f.Dir + "/"})
		}
	}
	return probs
}

// ignored reports whether a directory entry is housekeeping left by an
// operating system or a scanner (hidden files, Thumbs.db, desktop.ini).
func ignored(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$") || strings.EqualFold(name, "Thumbs.db") || strings.EqualFold(name, "desktop.ini")
}

// sortNatural sorts names so that embedded numbers compare by value: p2 < p10.
func sortNatural(names []string) {
	sort.SliceStable(names, func(i, j int) bool { return naturalLess(names[i], names[j]) })
}

func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		ra, rb := rune(a[0]), rune(b[0])
		if unicode.IsDigit(ra) && unicode.IsDigit(rb) {
			na, restA := leadingNumber(a)
			nb, restB := leadingNumber(b)
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = restA, restB
			continue
		}
		if ra != rb {
			return ra < rb
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

// leadingNumber splits the leading digits off s, without leading zeros.
func leadingNumber(s string) (string, string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n := strings.TrimLeft(s[:i], "0")
	return n, s[i:]
}

// SheetFiles returns the files at the top of the batch folder that describe it
// (batch.json, or the catalogue and its companion CSV), as the queue uploads them.
func (b *Batch) SheetFiles() []string {
	var out []string
	for _, n := range []string{MetadataFile, catalogue.XLSXName, catalogue.CSVName, catalogue.CSVFilesName} {
		if _, err := os.Stat(filepath.Join(b.Dir, n)); err == nil {
			out = append(out, n)
		}
	}
	return out
}
