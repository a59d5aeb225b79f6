package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/state"
)

// Options controls Process.
type Options struct {
	Workers       int      // pages processed at once; default the number of cores
	Languages     string   // Tesseract languages; default "vie"
	Dropout       ocr.Inks // ink colours left out of the image OCR reads; zero = none
	MinConfidence float64  // pages under this mean OCR confidence are flagged for review; default 70
	Overwrite     bool     // replace a finished bag of the same batch
	// Location, when set, is recorded in metadata/batch.json as where the bag
	// is, instead of its folder: the queue workers record the archive key
	// prefix, so that every run writes the same record.
	Location string
	PDF      pdfa.Options
	Encode   pdfa.EncodeOptions
	Producer string           // written into PDFs and bag-info; default "sohoa"
	Now      func() time.Time // clock; default time.Now
	Logger   *slog.Logger     // default slog.Default()
	// OnPage, when set, is called after each page, from one goroutine at a time.
	OnPage func(PageEvent)
	// Engines, when set, supplies OCR engines instead of a pool made from Languages.
	Engines *ocr.Pool
	// Superseded lists the earlier versions of replaced originals, recorded in PREMIS.
	Superseded []Superseded
	// Signer, when set, signs every document's PDF (see DocumentOptions.Signer).
	Signer PDFSigner
	// Isolated allows documents whose pages carry a secrecy mark (MẬT, TỐI MẬT, TUYỆT
	// MẬT); set only on an isolated installation. Otherwise such a document fails.
	Isolated bool
	// SpillBytes bounds the encoded page images held in memory at once by the
	// documents in progress: a page that would pass it goes to its document's
	// spill file in the run's work folder, read back when the PDF is written,
	// so memory does not grow with document length. 0 means
	// DefaultSpillBytesPerWorker times Workers; negative, never spill.
	SpillBytes int64
	// AuditTrail, when set, is the batch's audit trail so far (JSON lines,
	// package pipeline/audit), written as AuditTrailFile, a tag file covered by
	// the tag manifest.
	AuditTrail []byte
	// Inspection, when set, is the batch's review before sealing: its signed
	// record is written as InspectionFile and the review recorded in PREMIS
	// as a validation event.
	Inspection *Inspection
	// Staging marks the package of NewPackager as a staging area, set only
	// by the queue's package task: it builds the package in its cache
	// folder, copies it to the archive store, which checks every object
	// against the SHA-256 of the bag's manifests, and removes it; a task
	// that failed builds it anew. The package's files are then not fsynced
	// (bag.CreateOptions.NoSync), and the originals and the PDFs made in the
	// work folder enter it by hard link rather than by copy
	// (bag.Writer.AddPayloadLink: the digests are still read from the
	// package's files), so the batch folder must be on the same file system
	// to gain anything. The package is the same, byte for byte. Process
	// ignores it: its package, on local disk, is the product, written
	// durably and apart from the originals.
	Staging bool
}

// vietnamTime is the zone of the dates written into the PDFs (+07:00).
var vietnamTime = time.FixedZone("+07:00", 7*3600)

// DefaultSpillBytesPerWorker is the default share of Options.SpillBytes per
// worker: about a dozen encoded pages of a 300-dpi A4 scan.
const DefaultSpillBytesPerWorker = 4 << 20

// AuditTrailFile is where a package holds its batch's audit trail.
const AuditTrailFile = "metadata/audit-trail.jsonl"

// PageEvent reports one finished page to a progress display.
type PageEvent struct {
	Done, Total int
	Page        *Page
	Err         error       // non-nil when the page failed
	Result      *PageResult // nil when the page failed
}

func (o *Options) defaults() {
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.Languages == "" {
		o.Languages = "vie"
	}
	if o.MinConfidence == 0 {
		o.MinConfidence = 70
	}
	if o.Producer == "" {
		o.Producer = "sohoa"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.SpillBytes == 0 {
		o.SpillBytes = DefaultSpillBytesPerWorker * int64(o.Workers)
	}
}

// Failure is a document that could not be finished, and why.
type Failure struct {
	Document string `json:"document"`       // the document's folder or file
	File     string `json:"file,omitempty"` // the page file that failed
	Page     int    `json:"page,omitempty"` // page within that file
	Stage    string `json:"stage"`
	Reason   string `json:"reason"`
}

func (f Failure) String() string {
	if f.File != "" {
		return fmt.Sprintf("%s page %d: %s: %s", f.File, f.Page, f.Stage, f.Reason)
	}
	return fmt.Sprintf("%s: %s: %s", f.Document, f.Stage, f.Reason)
}

// Report summarises a run.
type Report struct {
	BatchID        string        `json:"batchId"`
	Bag            string        `json:"bag"` // where the bag is
	Complete       bool          `json:"complete"`
	Documents      int           `json:"documents"`
	DocumentsDone  int           `json:"documentsDone"`
	Pages          int           `json:"pages"`
	PagesDone      int           `json:"pagesDone"`
	Flagged        int           `json:"flagged"`
	Failures       []Failure     `json:"failures,omitempty"`
	Elapsed        time.Duration `json:"elapsedNs"`
	PagesPerMinute float64       `json:"pagesPerMinute"`
}

// ErrIncomplete is returned (wrapped) by Process when some documents failed.
// The bag is still written, marked incomplete, without the failed documents' outputs.
var ErrIncomplete = errors.New("batch incomplete: some documents failed")

// Process runs the whole pipeline on a loaded batch and writes its BagIt package
// to outDir/<batch id>. Pages are processed by opts.Workers workers and stream
// through: only the pages of documents in progress are held in memory.
// A failed page fails its document; the others go on, and the returned error
// wraps ErrIncomplete. A bag already finished at the target is an error
// wrapping bag.ErrExists unless opts.Overwrite is set; an incomplete one is replaced.
func Process(ctx context.Context, b *Batch, outDir string, opts Options) (*Report, error) {
	opts.defaults()
	opts.Staging = false // the package is the product
	pk, err := NewPackager(b, outDir, opts)
	if err != nil {
		return nil, err
	}
	defer pk.Abort()

	pool := opts.Engines
	if pool == nil {
		// Every worker is busy from the start: its engine is started beside the others.
		pool, err = ocr.StartPool(max(1, min(opts.Workers, b.Pages())), ocr.Options{Languages: opts.Languages, Dropout: opts.Dropout})
		if err != nil {
			return nil, fmt.Errorf("ocr: %w", err)
		}
		defer pool.Close()
	}

	run := &runner{b: b, opts: opts, pk: pk}
	if err := run.pages(ctx, pool); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("batch %s: %w", b.ID, err)
	}
	return pk.Finish()
}

// Packager assembles a batch's BagIt package document by document, in the
// order the documents are added: the untouched originals, each document's
// PDF/A, text and ALTO, metadata/batch.json and bag-info.txt. Process uses it
// as pages come back from its workers; the queue workers use it once every
// document of a batch is done, so both write the same package.
type Packager struct {
	b          *Batch
	opts       Options
	w          *bag.Writer
	rep        *Report
	rec        *batchRecord
	start      time.Time
	originals  map[string]Original // by file, as hashed when read for processing
	inspection *bag.Entry          // the inspection record written, if any
	work       string              // the run's work folder (spill files, PDFs before they enter the bag)
}

// NewPackager starts the package of b at outDir/<batch id>, written in a
// temporary folder until Finish. opts.Now gives the start time, which is also
// the creation date of the PDFs. A bag already finished at the target is an
// error wrapping bag.ErrExists unless opts.Overwrite is set; an incomplete one is replaced.
func NewPackager(b *Batch, outDir string, opts Options) (*Packager, error) {
	opts.defaults()
	start := opts.Now()
	rep := &Report{BatchID: b.ID, Documents: b.Documents(), Pages: b.Pages(), Bag: filepath.Join(outDir, b.ID)}
	w, err := bag.Create(rep.Bag, bag.CreateOptions{Overwrite: opts.Overwrite, Replaceable: isIncompleteBag, NoSync: opts.Staging})
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp(outDir, "."+b.ID+".work-")
	if err != nil {
		w.Abort()
		return nil, fmt.Errorf("batch %s: work folder: %w", b.ID, err)
	}
	return &Packager{b: b, opts: opts, w: w, rep: rep, rec: newRecord(b, opts, start), start: start,
		originals: map[string]Original{}, work: work}, nil
}

// WorkDir is the package's work folder, next to the package (never among the
// originals), removed by Finish and Abort: documents' spill files and PDFs
// before they enter the package are written there.
func (p *Packager) WorkDir() string { return p.work }

// DocumentOptions returns the options the documents of this package are built with.
func (p *Packager) DocumentOptions() DocumentOptions { return p.opts.DocumentOptions(p.start) }

// DocumentOptions returns the options with which Process builds documents of
// a run started at start (the date written into the PDFs, in Vietnam time
// whatever the machine's zone: process and the queue write the same dates).
func (o Options) DocumentOptions(start time.Time) DocumentOptions {
	o.defaults()
	return DocumentOptions{PDF: o.PDF, Producer: o.Producer, Date: start.In(vietnamTime),
		OCREngine: fmt.Sprintf("Tesseract %s (%s)", ocr.Version(), o.Languages), Signer: o.Signer, Isolated: o.Isolated}
}

// Abort discards the package if Finish has not been called, and the work folder.
func (p *Packager) Abort() {
	p.w.Abort()
	os.RemoveAll(p.work)
}

// Finish writes metadata/preservation/premis.xml, metadata/METS.xml,
// metadata/batch.json and bag-info.txt and moves the bag to its
// place. When some documents failed the bag is still written, marked
// incomplete, and the error wraps ErrIncomplete.
func (p *Packager) Finish() (*Report, error) {
	rep, b := p.rep, p.b
	defer os.RemoveAll(p.work)
	var err error
	rep.Complete = len(rep.Failures) == 0
	rep.Elapsed = p.opts.Now().Sub(p.start)
	if m := rep.Elapsed.Minutes(); m > 0 {
		rep.PagesPerMinute = float64(rep.PagesDone) / m
	}
	summary := *rep
	if p.opts.Location != "" {
		summary.Bag = p.opts.Location
	}
	p.rec.finish(&summary, p.originals, p.opts.Now())
	if p.inspection, err = p.addInspection(); err != nil {
		return nil, err
	}
	if err := p.writeMETS(p.opts.Now()); err != nil {
		return nil, err
	}
	js, err := json.MarshalIndent(p.rec, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("batch %s: record: %w", b.ID, err)
	}
	if _, err := p.w.AddTag(bag.BatchRecordFile, strings.NewReader(string(js)+"\n")); err != nil {
		return nil, err
	}
	if len(p.opts.AuditTrail) > 0 {
		if _, err := p.w.AddTag(AuditTrailFile, bytes.NewReader(p.opts.AuditTrail)); err != nil {
			return nil, err
		}
	}
	if _, err := p.w.Finish(bagInfo(b, rep, p.opts, p.start)); err != nil {
		return nil, err
	}
	if !rep.Complete {
		return rep, fmt.Errorf("batch %s: %w (%d of %d documents)", b.ID, ErrIncomplete, rep.Documents-rep.DocumentsDone, rep.Documents)
	}
	return rep, nil
}

// BagStatusLabel is the bag-info label that says whether every document of the batch is in the bag.
const BagStatusLabel = "Sohoa-Batch-Status"

func bagInfo(b *Batch, rep *Report, opts Options, start time.Time) bag.Info {
	status := state.BatchComplete
	if !rep.Complete {
		status = state.BatchIncomplete
	}
	return bag.Info{
		{Label: "Source-Organization", Value: b.Organisation.Name},
		{Label: "Organization-Identifier", Value: b.Organisation.Identifier},
		{Label: "External-Identifier", Value: b.ID},
		{Label: "Bagging-Date", Value: start.Format("2006-01-02")},
		{Label: "Bag-Software-Agent", Value: opts.Producer},
		{Label: BagStatusLabel, Value: status.String()},
		{Label: "Sohoa-Documents", Value: fmt.Sprintf("%d of %d", rep.DocumentsDone, rep.Documents)},
		{Label: "Sohoa-Pages", Value: fmt.Sprintf("%d of %d", rep.PagesDone, rep.Pages)},
	}
}

// isIncompleteBag reports whether the bag at dir was left incomplete by an
// earlier run, so that a new run may replace it.
func isIncompleteBag(dir string) bool {
	in, err := bag.ReadInfo(filepath.Join(dir, bag.InfoFile))
	return err == nil && in.Get(BagStatusLabel) == state.BatchIncomplete.String()
}

type runner struct {
	b         *Batch
	opts      Options
	pk        *Packager
	originals Originals // each original hashed once for all its pages
	held      int64     // encoded image bytes held in memory by the documents in progress
}

type pageJob struct {
	doc *docState
	pg  *Page
}

type pageDone struct {
	job pageJob
	res *PageResult
	err error
}

type docState struct {
	file    *File
	doc     *Document
	results []*PageResult
	errs    []error
	left    int
	held    int64       // encoded image bytes of this document in memory
	spool   *pdfa.Spool // its spill file, once a page spilled
}

// keep holds a page's encoded image in memory while the documents in
// progress hold less than opts.SpillBytes, and otherwise moves it to the
// document's spill file in the work folder.
func (r *runner) keep(st *docState, res *PageResult) error {
	n := int64(len(res.Image.Data))
	if r.opts.SpillBytes < 0 || r.held+n <= r.opts.SpillBytes {
		r.held += n
		st.held += n
		return nil
	}
	if st.spool == nil {
		sp, err := pdfa.NewSpool(r.pk.WorkDir())
		if err != nil {
			return err
		}
		st.spool = sp
	}
	return res.Spill(st.spool)
}

// Spill moves the page's encoded image into sp: Spilled is set and
// Image.Data released. A page already spilled, or without image, is left as it is.
func (r *PageResult) Spill(sp *pdfa.Spool) error {
	p := pdfa.Page{Image: r.Image, Spilled: r.Spilled}
	if err := sp.Spill(&p); err != nil {
		return err
	}
	r.Image, r.Spilled = p.Image, p.Spilled
	return nil
}

// release lets go of a finished document's pages and removes its spill file.
func (r *runner) release(st *docState) {
	r.held -= st.held
	st.held, st.results = 0, nil
	if st.spool != nil {
		if err := st.spool.Close(); err != nil {
			r.opts.Logger.Warn("spill file not removed", "document", st.doc.Source, "err", err)
		}
		st.spool = nil
	}
}

// pages feeds every page to the workers in batch order and finishes each
// document as soon as its last page is back.
func (r *runner) pages(ctx context.Context, pool *ocr.Pool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan pageJob)
	done := make(chan pageDone, r.opts.Workers)
	var wg sync.WaitGroup
	for i := 0; i < r.opts.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				res, err := r.processOne(ctx, pool, j)
				done <- pageDone{j, res, err}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, f := range r.b.Files {
			for _, d := range f.Documents {
				st := &docState{file: f, doc: d, results: make([]*PageResult, len(d.Pages)), errs: make([]error, len(d.Pages)), left: len(d.Pages)}
				if len(d.Pages) == 0 {
					continue
				}
				for _, pg := range d.Pages {
					select {
					case jobs <- pageJob{st, pg}:
					case <-ctx.Done():
						return
					}
				}
			}
		}
	}()
	go func() { wg.Wait(); close(done) }()

	var firstErr error
	n := 0
	for d := range done {
		n++
		st := d.job.doc
		i := d.job.pg.Index - 1
		if d.res != nil {
			if err := r.keep(st, d.res); err != nil {
				d.res, d.err = nil, &PageError{d.job.pg.File, d.job.pg.FilePage, StagePDF, fmt.Errorf("spill: %w", err)}
			}
		}
		st.results[i], st.errs[i] = d.res, d.err
		st.left--
		if r.opts.OnPage != nil {
			r.opts.OnPage(PageEvent{Done: n, Total: r.pk.rep.Pages, Page: d.job.pg, Err: d.err, Result: d.res})
		}
		if st.left == 0 {
			if firstErr == nil {
				if err := r.pk.AddDocument(ctx, st.file, st.doc, st.results, st.errs, nil); err != nil {
					firstErr = err // a bag that cannot be written: stop feeding, drain
					cancel()
				}
			}
			r.release(st)
		}
	}
	return firstErr
}

func (r *runner) processOne(ctx context.Context, pool *ocr.Pool, j pageJob) (*PageResult, error) {
	if ctx.Err() != nil {
		return nil, &PageError{j.pg.File, j.pg.FilePage, StageDecode, errCanceled}
	}
	eng, err := pool.Get(ctx)
	if err != nil {
		return nil, &PageError{j.pg.File, j.pg.FilePage, StageOCR, err}
	}
	defer pool.Put(eng)
	return ProcessPage(ctx, eng, r.b.Dir, j.pg, PageOptions{DPI: j.pg.DPI, MinConfidence: r.opts.MinConfidence, Encode: r.opts.Encode, Originals: &r.originals})
}

// DocumentOutput is a finished document's files: its PDF/A, plain text and ALTO XML.
type DocumentOutput struct {
	PDF, Text, ALTO []byte
	// PDFFile, when set, is the file holding the PDF (made by
	// MakeDocumentFile in a work folder); PDF is then nil.
	PDFFile string
}

// MakeDocument builds a document's files from its processed pages with
// BuildDocument, DocumentText and WriteALTO.
func MakeDocument(ctx context.Context, b *Batch, f *File, d *Document, pages []*PageResult, opts DocumentOptions) (*DocumentOutput, error) {
	var pdf bytes.Buffer
	out, err := makeDocument(ctx, &pdf, b, f, d, pages, opts)
	if err != nil {
		return nil, err
	}
	out.PDF = pdf.Bytes()
	return out, nil
}

// MakeDocumentFile is MakeDocument with the PDF written to a new file in dir
// (a work folder) rather than held in memory: out.PDFFile names it, and the
// caller removes it.
func MakeDocumentFile(ctx context.Context, dir string, b *Batch, f *File, d *Document, pages []*PageResult, opts DocumentOptions) (out *DocumentOutput, err error) {
	fh, err := os.CreateTemp(dir, "doc-*.pdf")
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", d.Source, StagePDF, err)
	}
	defer func() {
		if cerr := fh.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("%s: %s: %w", d.Source, StagePDF, cerr)
		}
		if err != nil {
			os.Remove(fh.Name())
			out = nil
		}
	}()
	if out, err = makeDocument(ctx, fh, b, f, d, pages, opts); err != nil {
		return nil, err
	}
	out.PDFFile = fh.Name()
	return out, nil
}

// makeDocument writes the document's PDF to pdf and returns its text and ALTO.
func makeDocument(ctx context.Context, pdf io.Writer, b *Batch, f *File, d *Document, pages []*PageResult, opts DocumentOptions) (*DocumentOutput, error) {
	if df := d.ApplyFields(pages); df.Secrecy != "" && !opts.Isolated {
		return nil, &SecretError{Mark: df.Secrecy}
	}
	var altoXML bytes.Buffer
	if err := BuildDocument(ctx, pdf, b, f, d, pages, opts); err != nil {
		return nil, err
	}
	if err := WriteALTO(&altoXML, f, d, pages, opts); err != nil {
		return nil, err
	}
	return &DocumentOutput{Text: []byte(DocumentText(pages)), ALTO: altoXML.Bytes()}, nil
}

// AddDocument writes a document's originals and, when every page succeeded,
// its PDF/A, text and ALTO into the package. results and errs hold, for each
// page of d in order, its result or its error. out is the document's files
// made earlier by MakeDocument with p.DocumentOptions(); when nil they are made
// here. Only a bag write error is returned: a failed document is recorded and
// the package goes on.
func (p *Packager) AddDocument(ctx context.Context, f *File, d *Document, results []*PageResult, errs []error, out *DocumentOutput) error {
	if d.Stack && out == nil {
		if parts, rs, ok := p.addStack(f, d, results, errs); ok {
			for i, part := range parts {
				if err := p.AddDocument(ctx, f, part, rs[i], make([]error, len(rs[i])), nil); err != nil {
					return err
				}
			}
			return nil
		}
	}
	var failure *Failure
	if d.Stack && out != nil {
		failure = &Failure{Document: d.Source, Stage: StageFields, Reason: "a stack cannot be added as one document: its documents are built once it is split"}
	}
	for i, res := range results {
		if errs[i] != nil {
			if failure == nil {
				failure = failureOf(d, errs[i])
			}
			continue
		}
		if res != nil {
			p.rep.PagesDone++
			if len(res.Flags) > 0 {
				p.rep.Flagged++
			}
		}
	}
	// Originals go into the bag whatever happened: nothing is lost.
	for _, pg := range d.Pages {
		if _, ok := p.originals[pg.File]; ok {
			continue
		}
		e, gone, err := p.addOriginal(pg)
		if gone != nil {
			if failure == nil {
				failure = failureOf(d, gone)
			}
			continue
		}
		if err != nil {
			return err
		}
		o := Original{File: pg.File, SHA256: e.SHA256, Size: e.Size}
		p.originals[pg.File] = o
		for i, res := range results {
			if res != nil && res.Page.File == pg.File && res.Original.SHA256 != o.SHA256 && failure == nil {
				failure = failureOf(d, &PageError{pg.File, d.Pages[i].FilePage, StagePackage,
					fmt.Errorf("the file changed while it was processed (SHA-256 %s, then %s)", res.Original.SHA256, o.SHA256)})
			}
		}
	}
	var df *DocFields
	if failure == nil && !d.Stack {
		df = d.ApplyFields(results)
		if df.Secrecy != "" && !p.opts.Isolated {
			failure = &Failure{Document: d.Source, Stage: StageFields, Reason: (&SecretError{Mark: df.Secrecy}).Error()}
		}
	}
	docRec := p.rec.document(f, d, results, errs)
	docRec.fields(d, df)
	if failure == nil && out == nil {
		var err error
		out, err = MakeDocumentFile(ctx, p.work, p.b, f, d, results, p.DocumentOptions())
		if err != nil {
			stage := StagePDF
			var se *SignError
			if errors.As(err, &se) {
				stage = StageSign
			}
			failure = &Failure{Document: d.Source, Stage: stage, Reason: err.Error()}
		}
	}
	if failure == nil {
		dir := f.Meta.FileCode
		pe, err := p.addPDF(path.Join(dir, PDFName(dir, d.Meta.DocOrdinal)), out)
		if err != nil {
			return err
		}
		te, err := p.w.AddPayload(path.Join(dir, TextName(dir, d.Meta.DocOrdinal)), bytes.NewReader(out.Text))
		if err != nil {
			return err
		}
		ae, err := p.w.AddPayload(path.Join(dir, ALTOName(dir, d.Meta.DocOrdinal)), bytes.NewReader(out.ALTO))
		if err != nil {
			return err
		}
		docRec.PDF, docRec.PDFSHA256 = pe.Path, pe.SHA256
		docRec.Text, docRec.TextSHA256 = te.Path, te.SHA256
		docRec.ALTO, docRec.ALTOSHA256 = ae.Path, ae.SHA256
	}
	if failure != nil {
		docRec.Status, docRec.Error = state.DocFailed, failure.String()
		p.rep.Failures = append(p.rep.Failures, *failure)
		p.opts.Logger.Error("document failed", "document", d.Source, "file", failure.File, "page", failure.Page, "stage", failure.Stage, "reason", failure.Reason)
	} else {
		docRec.Status = state.DocDone
		p.rep.DocumentsDone++
	}
	return nil
}

// addPDF adds a document's PDF to the package, from its file when it has one
// (the file is removed then; a staging package takes it by hard link).
func (p *Packager) addPDF(name string, out *DocumentOutput) (bag.Entry, error) {
	if out.PDFFile == "" {
		return p.w.AddPayload(name, bytes.NewReader(out.PDF))
	}
	defer os.Remove(out.PDFFile)
	if p.opts.Staging {
		return p.w.AddPayloadLink(name, out.PDFFile)
	}
	return p.w.AddPayloadFile(name, out.PDFFile)
}

func failureOf(d *Document, err error) *Failure {
	f := &Failure{Document: d.Source, Reason: err.Error()}
	var pe *PageError
	if errors.As(err, &pe) {
		f.File, f.Page, f.Stage, f.Reason = pe.File, pe.Page, pe.Stage, pe.Err.Error()
	}
	return f
}

// sortedOriginals lists originals by file.
func sortedOriginals(m map[string]Original) []Original {
	out := make([]Original, 0, len(m))
	for _, o := range m {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}
