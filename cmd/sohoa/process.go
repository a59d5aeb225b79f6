package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/scan"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

type batchFlags struct {
	config  string
	dpi     float64
	langUI  string
	workers int // pages processed at once, for the per-page memory budget; 0 for the configuration's
}

func (bf *batchFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&bf.config, "config", "", "configuration file (default $SOHOA_CONFIG; see configs/sohoa.example.yaml)")
	fs.Float64Var(&bf.dpi, "dpi", 0, "resolution of pages whose files record none (or 1 or 72 dpi), from 50 to 2400; never overrides a resolution a file records")
	fs.StringVar(&bf.langUI, "lang-ui", "", "language of catalogue (mucluc.xlsx) messages: vi or en (default: en under an English locale, else vi)")
}

// uiLang returns the language of messages for clerks: --lang-ui, else English
// when the locale (LC_ALL, LC_MESSAGES, LANG) is English, else Vietnamese.
func (bf *batchFlags) uiLang() string {
	if bf.langUI == "en" || bf.langUI == "vi" {
		return bf.langUI
	}
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if l := os.Getenv(v); l != "" {
			if strings.HasPrefix(l, "en") {
				return "en"
			}
			return "vi"
		}
	}
	return "vi"
}

// load reads the configuration and loads and validates the batch.
func (bf *batchFlags) load(ctx context.Context, dir string, stderr io.Writer) (*configs.Config, *pipeline.Batch, int) {
	if bf.dpi != 0 { // NaN too
		if err := pipeline.CheckGivenDPI(bf.dpi); err != nil {
			fmt.Fprintf(stderr, "sohoa: --%v\n", err)
			return nil, nil, exitUsage
		}
	}
	cfg, err := loadConfig(bf.config)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return nil, nil, exitUsage
	}
	dpi := cfg.Scan.DPI
	if bf.dpi > 0 {
		dpi = bf.dpi
	}
	workers := bf.workers
	if workers <= 0 {
		workers = cfg.Workers
	}
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	b, err := pipeline.Load(ctx, dir, pipeline.LoadOptions{DPI: dpi, Isolated: cfg.Isolated,
		PageBudget: scan.PageBudget(scan.Memory(), workers), RequireColour: cfg.Scan.RequireColour, Lang: bf.uiLang()})
	if err != nil {
		var ve *pipeline.ValidationError
		switch {
		case errors.As(err, &ve):
			fmt.Fprintln(stderr, "sohoa:", err)
			return nil, nil, exitInvalid
		case ctx.Err() != nil:
			fmt.Fprintln(stderr, "sohoa: interrupted")
			return nil, nil, exitInterrupted
		}
		// No such folder, not a folder, not readable: the command was not
		// given a batch it can read.
		fmt.Fprintln(stderr, "sohoa:", err)
		return nil, nil, exitUsage
	}
	for _, n := range b.Notes {
		fmt.Fprintln(stderr, "sohoa: note:", n)
	}
	return cfg, b, exitOK
}

func runValidate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate", "BATCH_DIR [flags]", "Checks a batch folder: batch.json metadata, folder structure, and every page file's format and resolution.\nNothing is processed or written. Exit status 3 when there are problems, each listed on its own line.", stderr)
	var bf batchFlags
	bf.register(fs)
	pos, code, ok := parseArgs(fs, args, 1, 1)
	if !ok {
		return code
	}
	_, b, code := bf.load(ctx, pos[0], stderr)
	if code != exitOK {
		return code
	}
	fmt.Fprintf(stdout, "batch %s is valid: %d hồ sơ, %d documents, %d pages\n", b.ID, len(b.Files), b.Documents(), b.Pages())
	return exitOK
}

func runProcess(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("process", "BATCH_DIR --out DIR [flags]",
		"Runs the whole pipeline on one machine: validates the batch, normalizes and OCRs every page,\n"+
			"writes a searchable PDF/A and a text file per document, and packages everything with the\n"+
			"untouched originals as a BagIt bag at DIR/<batch id>. When a signing key is configured\n"+
			"(seal.keyFile, seal.certFile) a complete package is sealed and made read-only; its seal links\n"+
			"to the organisation's previous seal in DIR (see DIR/.sohoa-seals).\n\n"+
			"Exit status: 0 all documents done; 1 some documents failed (the bag is written, marked incomplete);\n"+
			"2 bad usage or configuration; 3 the batch did not validate (nothing processed).", stderr)
	var bf batchFlags
	bf.register(fs)
	out := fs.String("out", "", "output folder; the bag is written to OUT/<batch id> (required)")
	workers := fs.Int("workers", 0, "pages processed at once (default: configuration, else the number of cores)")
	lang := fs.String("lang", "", "Tesseract languages, e.g. vie or vie+eng (default: configuration, else vie)")
	part := fs.String("pdfa", "", "PDF/A part: 2b or 1b (default: configuration, else 2b)")
	overwrite := fs.Bool("overwrite", false, "replace a finished bag of the same batch in OUT")
	quiet := fs.Bool("quiet", false, "no progress display")
	pos, code, ok := parseArgs(fs, args, 1, 1, out)
	if !ok {
		return code
	}
	if *workers < 0 {
		fmt.Fprintf(stderr, "sohoa: --workers %d: want 1 or more (0 for the default)\n", *workers)
		return exitUsage
	}
	bf.workers = *workers
	cfg, b, code := bf.load(ctx, pos[0], stderr)
	if code != exitOK {
		return code
	}
	if *workers > 0 {
		cfg.Workers = *workers
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.NumCPU()
	}
	if *lang != "" {
		cfg.OCR.Languages = *lang
	}
	if *part != "" {
		cfg.PDF.Part = *part
	}
	if err := cfg.Check(); err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	// Every requested language model must be there before any page is read.
	if err := ocr.CheckLanguages(cfg.OCR.Languages, ""); err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}

	dropout, err := ocr.ParseInks(cfg.OCR.Dropout)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}

	signer, err := loadSigner(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	if signer != nil {
		defer signer.Close()
	}
	pdfSign, err := pdfSigner(cfg, signer)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}

	// One run at a time into an output folder: from here to the seal.
	release, err := pipeline.LockOutput(*out)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	defer release()

	logger := newLogger(stderr)
	progress := newProgress(stderr, b.Pages(), *quiet, logger)
	opts := pipeline.Options{
		Workers:       cfg.Workers,
		Languages:     cfg.OCR.Languages,
		Dropout:       dropout,
		MinConfidence: cfg.OCR.MinConfidence,
		Overwrite:     *overwrite,
		PDF:           pdfa.Options{Part: pdfa.Part(cfg.PDF.Part)},
		Encode:        pdfa.EncodeOptions{PSNR: cfg.PDF.PSNR, JPEGQuality: cfg.PDF.JPEGQuality},
		Producer:      "sohoa " + Version,
		Logger:        logger,
		OnPage:        progress.page,
		Signer:        pdfSign,
		Isolated:      cfg.Isolated,
	}
	logger.Info("processing batch", "batch", b.ID, "hoso", len(b.Files), "documents", b.Documents(), "pages", b.Pages(), "workers", cfg.Workers, "lang", cfg.OCR.Languages)
	rep, err := pipeline.Process(ctx, b, *out, opts)
	progress.finish(ctx.Err() != nil)
	if rep != nil {
		printSummary(stdout, rep)
	}
	switch {
	case err == nil && signer != nil:
		chain, serr := seal.FolderChain(*out)
		chain.Stamper = sealStamper(cfg)
		var link *seal.Link
		if serr == nil {
			link, serr = chain.Seal(ctx, rep.Bag, signer)
		}
		if serr != nil {
			fmt.Fprintln(stderr, "sohoa:", serr)
			if errors.Is(serr, seal.ErrSealedNotChained) {
				fmt.Fprintln(stderr, "sohoa: the package is sealed but its seal is NOT in the chain of", *out+"/"+seal.ChainDir, "; fix the cause and run again with --overwrite")
			} else {
				fmt.Fprintln(stderr, "sohoa: the package is written but NOT sealed; fix the cause and run again with --overwrite")
			}
			return exitFailed
		}
		printSeal(stdout, link)
	case err == nil:
		fmt.Fprintln(stdout, "  seal       none (no signing key configured: seal.keyFile or seal.pkcs11); the PDFs are NOT signed")
	case signer != nil && errors.Is(err, pipeline.ErrIncomplete):
		fmt.Fprintln(stdout, "  seal       none: the batch is incomplete (re-run it when the failed documents are fixed)")
	}
	status := processExit(ctx, err, stderr)
	if rep != nil && pdfSign != nil && (err == nil || errors.Is(err, pipeline.ErrIncomplete)) {
		if !writeAIPs(ctx, stdout, stderr, cfg, rep.Bag, aipDir(*out, b.ID)) && status == exitOK {
			status = exitFailed
		}
	}
	return status
}

// processExit is process's exit status for the error Process returned, by
// the documented table: 1 only when documents failed; 2 for usage and
// environment (a finished bag already there, no OCR engine); 130 when
// interrupted.
func processExit(ctx context.Context, err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, pipeline.ErrIncomplete):
		return exitFailed
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "sohoa: interrupted: nothing was written (run the batch again)")
		return exitInterrupted
	case errors.Is(err, bag.ErrExists):
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	default:
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
}

func helpOrUsage(err error) int {
	if isHelp(err) {
		return exitOK
	}
	return exitUsage
}

func printSummary(w io.Writer, r *pipeline.Report) {
	status := "complete"
	if !r.Complete {
		status = "INCOMPLETE"
	}
	fmt.Fprintf(w, "\nbatch %s: %s\n", r.BatchID, status)
	fmt.Fprintf(w, "  documents  %d of %d done\n", r.DocumentsDone, r.Documents)
	fmt.Fprintf(w, "  pages      %d of %d done, %d flagged for review\n", r.PagesDone, r.Pages, r.Flagged)
	fmt.Fprintf(w, "  failed     %d document(s)\n", len(r.Failures))
	for _, f := range r.Failures {
		fmt.Fprintf(w, "    - %s\n", f)
	}
	fmt.Fprintf(w, "  time       %s (%.1f pages/min)\n", r.Elapsed.Round(100*time.Millisecond), r.PagesPerMinute)
	fmt.Fprintf(w, "  package    %s\n", r.Bag)
}

// progress shows pages done on a terminal as a bar with an ETA, and as log
// lines otherwise.
type progress struct {
	w      io.Writer
	bar    *progressbar.ProgressBar
	logger interface{ Info(string, ...any) }
	total  int
	last   time.Time
}

func newProgress(w io.Writer, total int, quiet bool, logger interface{ Info(string, ...any) }) *progress {
	p := &progress{w: w, logger: logger, total: total}
	if quiet {
		p.logger = nil
		return p
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = newPagesBar(w, total)
	}
	return p
}

// newPagesBar is the bar of pages done with an ETA.
func newPagesBar(w io.Writer, total int) *progressbar.ProgressBar {
	return progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("pages"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(200*time.Millisecond),
	)
}

func (p *progress) page(ev pipeline.PageEvent) {
	if p.bar != nil {
		p.bar.Add(1)
		return
	}
	if p.logger == nil {
		return
	}
	attrs := []any{"done", ev.Done, "total", ev.Total, "file", ev.Page.File, "filePage", ev.Page.FilePage}
	if ev.Err != nil {
		attrs = append(attrs, "error", ev.Err.Error())
	}
	if r := ev.Result; r != nil {
		attrs = append(attrs, "orientation", r.Geometry.Orientation, "skew", fmt.Sprintf("%.2f", r.Geometry.Skew),
			"confidence", fmt.Sprintf("%.1f", r.OCR.MeanConfidence))
		if len(r.Flags) > 0 {
			attrs = append(attrs, "flags", strings.Join(r.Flags, ","))
		}
	}
	p.logger.Info("page", attrs...)
}

// finish ends the display: a finished run fills the bar; an interrupted one
// leaves it where it stopped.
func (p *progress) finish(interrupted bool) {
	if p.bar == nil {
		return
	}
	if interrupted {
		p.bar.Exit()
	} else {
		p.bar.Finish()
	}
	fmt.Fprintln(p.w)
}

func printSeal(w io.Writer, l *seal.Link) {
	fmt.Fprintf(w, "  seal       SHA-256 %s (%s)\n", l.SHA256, bag.SignatureFile)
	if l.PreviousSHA256 != "" {
		fmt.Fprintf(w, "  previous   %s (batch %s)\n", l.PreviousSHA256, l.PreviousBatch)
	} else {
		fmt.Fprintln(w, "  previous   none: the organisation's first seal here")
	}
}

func runVerifyBag(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("verify-bag", "BAG_DIR", "Checks a BagIt bag: every manifest line against its file, no unlisted payload file, Payload-Oxum.\nExit status 0 only when all holds; otherwise each problem is printed on its own line.", stderr)
	pos, code, ok := parseArgs(fs, args, 1, 1)
	if !ok {
		return code
	}
	probs, err := bag.ValidateContext(ctx, pos[0])
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	for _, p := range probs {
		fmt.Fprintln(stdout, p)
	}
	if len(probs) > 0 {
		fmt.Fprintf(stdout, "%s: NOT valid (%d problem(s))\n", pos[0], len(probs))
		return exitFailed
	}
	fmt.Fprintf(stdout, "%s: valid bag\n", pos[0])
	return exitOK
}

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintf(stdout, "sohoa %s (%s, %s/%s)\n", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}
