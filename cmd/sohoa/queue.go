package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/fixity"
	"github.com/sohoa-vn/sohoa/pipeline/metrics"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
	"github.com/sohoa-vn/sohoa/storage"
)

// openQueue connects to the Redis and the three S3 buckets of cfg; adjust, if
// any, change the queue options.
func openQueue(ctx context.Context, cfg *configs.Config, adjust ...func(*queue.Options)) (*queue.Queue, error) {
	log := newLogger(os.Stderr)
	bucket := func(name string, lock bool) (storage.Store, error) { return openBucket(ctx, cfg, name, lock) }
	var st queue.Stores
	var err error
	if st.Inbox, err = bucket(cfg.S3.InboxBucket, false); err != nil {
		return nil, err
	}
	if st.Work, err = bucket(cfg.S3.WorkBucket, false); err != nil {
		return nil, err
	}
	if st.Archive, err = bucket(cfg.S3.ArchiveBucket, cfg.Retention.Mode != "none"); err != nil {
		return nil, err
	}
	dropout, err := ocr.ParseInks(cfg.OCR.Dropout)
	if err != nil {
		return nil, err
	}
	opts := queue.Options{
		Pipeline: pipeline.Options{
			Languages:     cfg.OCR.Languages,
			Dropout:       dropout,
			MinConfidence: cfg.OCR.MinConfidence,
			PDF:           pdfa.Options{Part: pdfa.Part(cfg.PDF.Part)},
			Encode:        pdfa.EncodeOptions{PSNR: cfg.PDF.PSNR, JPEGQuality: cfg.PDF.JPEGQuality},
			Producer:      "sohoa " + Version,
			Isolated:      cfg.Isolated,
		},
		Retries:   cfg.Queue.Retries,
		CleanWork: cfg.Queue.CleanWork,
		Logger:    log,
		AIP:       aipOptions(cfg),
		Review:    queue.ReviewOptions{Required: cfg.Review.Required, Sample: cfg.Review.Sample, Place: cfg.Review.Place},
	}
	if opts.Signer, err = loadSigner(cfg); err != nil {
		return nil, err
	}
	if opts.Pipeline.Signer, err = pdfSigner(cfg, opts.Signer); err != nil {
		return nil, err
	}
	opts.Stamper = sealStamper(cfg)
	if cfg.Retention.Mode != "none" {
		mode, years := cfg.Retention.Mode, cfg.Retention.Years
		opts.Retention = func(now time.Time) *storage.Retention {
			return &storage.Retention{Mode: mode, Until: now.AddDate(years, 0, 0)}
		}
	}
	if opts.Copies, err = openCopies(cfg); err != nil {
		return nil, err
	}
	if len(opts.Copies) > 0 {
		if opts.BackupLog, err = copyLogger(cfg, st.Archive, opts.Copies); err != nil {
			return nil, err
		}
	}
	for _, f := range adjust {
		f(&opts)
	}
	return queue.New(cfg.Redis.URL, st, opts)
}

// openRedisQueue connects to the Redis of cfg only, for the commands that
// need no bucket, and checks that it answers: an unreachable Redis is an
// environment the command cannot run in, named by its address (never its
// password).
func openRedisQueue(ctx context.Context, cfg *configs.Config, opts queue.Options) (*queue.Queue, error) {
	q, err := queue.New(cfg.Redis.URL, queue.Stores{}, opts)
	if err != nil {
		return nil, err
	}
	if err := q.Redis().Ping(ctx).Err(); err != nil {
		q.Close()
		addr := "?"
		if o, perr := redis.ParseURL(cfg.Redis.URL); perr == nil {
			addr = o.Addr
		}
		return nil, fmt.Errorf("redis at %s: %w", addr, err)
	}
	return q, nil
}

func runSubmit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("submit", "BATCH_DIR [flags]",
		"Validates a batch exactly as process does, uploads its originals to the inbox bucket (each checked\n"+
			"by the server against its SHA-256; files already there are skipped), enqueues it once for the\n"+
			"workers and prints its id. Re-run after an interruption, it uploads only what is missing.\n"+
			"An id names one batch: a different batch under a submitted id is refused. With --replace, the\n"+
			"corrected page files of a batch packaged incomplete are stored as new versions (the old ones\n"+
			"kept) and only their documents are re-run; refused once the package is complete and sealed.", stderr)
	var bf batchFlags
	bf.register(fs)
	quiet := fs.Bool("quiet", false, "no progress display")
	replace := fs.Bool("replace", false, "store the changed page files of a submitted batch as new versions and re-run their documents")
	pos, code, ok := parseArgs(fs, args, 1, 1)
	if !ok {
		return code
	}
	cfg, b, code := bf.load(ctx, pos[0], stderr)
	if code != exitOK {
		return code
	}
	dpi := cfg.Scan.DPI
	if bf.dpi > 0 {
		dpi = bf.dpi
	}
	q, err := openQueue(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	defer q.Close()
	if *replace {
		return replaceBatch(ctx, cfg, q, b, pipeline.LoadOptions{DPI: dpi, Isolated: cfg.Isolated}, stdout, stderr)
	}
	var bar *progress
	res, err := q.Submit(ctx, b, pipeline.LoadOptions{DPI: dpi, Isolated: cfg.Isolated, RequireColour: cfg.Scan.RequireColour, Lang: bf.uiLang()}, func(done, total int) {
		if bar == nil {
			bar = newProgress(stderr, total, *quiet, nil)
		}
		if bar.bar != nil {
			bar.bar.Add(1)
		}
	})
	if bar != nil {
		bar.finish(err != nil)
	}
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		if ctx.Err() != nil {
			return exitInterrupted
		}
		if errors.Is(err, queue.ErrConflict) {
			return exitUsage // refused, nothing stored
		}
		return exitFailed
	}
	fmt.Fprintf(stderr, "batch %s: %d files, %d uploaded, %d already there; enqueued: %v\n",
		res.BatchID, res.Files, res.Uploaded, res.Files-res.Uploaded, res.Enqueued)
	if res.Removed > 0 {
		fmt.Fprintf(stderr, "batch %s: removed %d file(s) left by an earlier submit of this id that never completed\n", res.BatchID, res.Removed)
	}
	if res.Enqueued {
		auditCLI(ctx, cfg, q.Archive(), audit.Entry{Action: audit.Submit, Batch: res.BatchID, After: queue.StateQueued.String(),
			What: fmt.Sprintf("%d documents, %d pages, %d files", b.Documents(), b.Pages(), res.Files)}, stderr)
	}
	fmt.Fprintln(stdout, res.BatchID)
	return exitOK
}

// replaceBatch runs submit --replace.
func replaceBatch(ctx context.Context, cfg *configs.Config, q *queue.Queue, b *pipeline.Batch, lo pipeline.LoadOptions, stdout, stderr io.Writer) int {
	res, err := q.Replace(ctx, b, lo, audit.Actor{Name: osUser()})
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		if errors.Is(err, queue.ErrConflict) || errors.Is(err, queue.ErrSealed) || errors.Is(err, queue.ErrRunning) {
			return exitUsage // refused, nothing stored
		}
		return exitFailed
	}
	if len(res.Files) == 0 {
		fmt.Fprintf(stderr, "batch %s: no page file differs from the submitted ones; nothing replaced\n", res.BatchID)
	} else {
		docs := make([]string, len(res.Document))
		for i, d := range res.Document {
			docs[i] = strconv.Itoa(d + 1)
		}
		fmt.Fprintf(stderr, "batch %s: replaced %s (new versions; the old ones are kept); re-running %d page(s) of documents %s\n",
			res.BatchID, strings.Join(res.Files, ", "), res.Pages, strings.Join(docs, ", "))
		auditCLI(ctx, cfg, q.Archive(), audit.Entry{Action: audit.Replace, Batch: res.BatchID, What: strings.Join(res.Files, ", "),
			After: queue.StateQueued.String(), Detail: fmt.Sprintf("%d pages re-run", res.Pages)}, stderr)
	}
	fmt.Fprintln(stdout, res.BatchID)
	return exitOK
}

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("worker", "[flags]",
		"Runs queue tasks (pages, documents, packages) until SIGTERM or SIGINT, then finishes or hands back\n"+
			"the tasks in progress. Redis must run with maxmemory-policy noeviction.", stderr)
	config := configFlag(fs)
	concurrency := fs.Int("concurrency", 0, "tasks run at once (default: configuration, else the number of cores)")
	_, cfg, code, ok := parseConfigured(fs, config, args, 0, 0, stderr)
	if !ok {
		return code
	}
	n := cfg.Queue.Concurrency
	if *concurrency > 0 {
		n = *concurrency
	}
	if n == 0 {
		n = runtime.NumCPU()
	}
	// Page and stage metrics go to Redis, where "sohoa serve" exposes them for every worker.
	ro, err := redis.ParseURL(cfg.Redis.URL)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa: redis url:", err)
		return exitFailed
	}
	mrdb := redis.NewClient(ro)
	defer mrdb.Close()
	recorder := metrics.NewRecorder(mrdb, newLogger(stderr))
	q, err := openQueue(ctx, cfg, func(o *queue.Options) { o.Observer = recorder })
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	defer q.Close()
	if err := q.CheckNoEviction(ctx); err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	dropout, err := ocr.ParseInks(cfg.OCR.Dropout)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	pool, err := ocr.NewPool(n, ocr.Options{Languages: cfg.OCR.Languages, Dropout: dropout})
	if err != nil {
		fmt.Fprintln(stderr, "sohoa: ocr:", err)
		var me *ocr.MissingLanguageError
		if errors.As(err, &me) {
			return exitUsage // the machine lacks a model: environment, not a failed document
		}
		return exitFailed
	}
	defer pool.Close()
	logger := newLogger(stderr)
	archive, err := openBucket(ctx, cfg, cfg.S3.ArchiveBucket, cfg.Retention.Mode != "none")
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	mux := q.Handler(pool)
	if len(cfg.Copies) > 0 {
		// Every store is checked, a share a day over backup.checkPeriodDays, and healed.
		h, err := scheduledHeal(ctx, cfg, q.Redis(), logger)
		if err != nil {
			fmt.Fprintln(stderr, "sohoa:", err)
			return exitFailed
		}
		mux.Handle(fixity.TypeCheck, h)
	} else {
		mux.Handle(fixity.TypeCheck, fixity.Handler(archive, q.Redis(), logger))
	}
	srv := asynq.NewServerFromRedisClient(q.Redis(), q.ServerConfig(n))
	if err := srv.Start(mux); err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	defer srv.Shutdown()
	if cfg.Fixity.Schedule != "none" {
		sched := asynq.NewSchedulerFromRedisClient(q.Redis(), &asynq.SchedulerOpts{Logger: queue.AsynqLogger(logger)})
		if _, err := fixity.Register(sched, cfg.Fixity.Schedule); err != nil {
			fmt.Fprintln(stderr, "sohoa:", err)
			return exitFailed
		}
		if err := sched.Start(); err != nil {
			fmt.Fprintln(stderr, "sohoa: scheduler:", err)
			return exitFailed
		}
		defer sched.Shutdown()
	}
	logger.Info("worker started", "concurrency", n, "pid", os.Getpid(), "fixitySchedule", cfg.Fixity.Schedule)
	<-ctx.Done()
	return exitOK
}

func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("status", "[BATCH_ID] [flags]",
		"Lists submitted batches with their documents and pages done, failed and total, or one batch in detail.", stderr)
	config := configFlag(fs)
	pos, cfg, code, ok := parseConfigured(fs, config, args, 0, 1, stderr)
	if !ok {
		return code
	}
	q, err := openRedisQueue(ctx, cfg, queue.Options{}) // status needs Redis only
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	defer q.Close()
	ids := pos
	if len(ids) == 0 {
		if ids, err = q.Batches(ctx); err != nil {
			fmt.Fprintln(stderr, "sohoa:", err)
			return exitFailed
		}
	}
	for _, id := range ids {
		s, err := q.Status(ctx, id)
		if err != nil {
			fmt.Fprintln(stderr, "sohoa:", err)
			if errors.Is(err, queue.ErrUnknownBatch) {
				return exitUsage
			}
			return exitFailed
		}
		fmt.Fprintf(stdout, "%s\t%s\tdocuments %d done, %d failed, %d total\tpages %d done, %d failed, %d total\n",
			s.ID, s.State, s.DocumentsDone, s.DocumentsFailed, s.Documents, s.PagesDone, s.PagesFailed, s.Pages)
		if s.Error != "" {
			fmt.Fprintf(stdout, "  failed: %s\n", s.Error)
		}
		if s.State == queue.StateCopying {
			fmt.Fprintf(stdout, "  chưa đủ bản sao (not yet in every copy of the archive): %s\n", s.Copies)
		}
		if len(pos) == 1 {
			fmt.Fprintf(stdout, "  submitted %s\n", s.Submitted.Format(time.RFC3339))
			if s.Retries > 0 {
				fmt.Fprintf(stdout, "  retried %d times\n", s.Retries)
			}
			docs := make([]int, 0, len(s.Failures))
			for d := range s.Failures {
				docs = append(docs, d)
			}
			sort.Ints(docs)
			for _, d := range docs {
				fmt.Fprintf(stdout, "  failed document %d (%s): %s\n", d+1, s.Codes[d], s.Failures[d])
			}
		}
	}
	if len(pos) == 0 {
		last, err := fixity.Last(ctx, q.Redis())
		switch {
		case err != nil:
			fmt.Fprintln(stderr, "sohoa:", err)
			return exitFailed
		case last == nil:
			fmt.Fprintln(stdout, "fixity: never checked (run 'sohoa fixity', or workers with fixity.schedule)")
		default:
			fmt.Fprintln(stdout, last.Summary())
		}
	}
	return exitOK
}

// stringList is a flag that may be given several times.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func runRetry(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("retry", "BATCH_ID [--doc CODE]... [flags]",
		"Re-runs what failed in a finished batch: the failed pages and documents (or only the documents\n"+
			"named with --doc: mã lưu trữ tài liệu, folder or file in the batch, or number shown by status),\n"+
			"or the batch or package task if one failed. Workers do the work; follow it with status.\n"+
			"An incomplete package is replaced by the new one; a complete package is locked and final.", stderr)
	config := configFlag(fs)
	var docs stringList
	fs.Var(&docs, "doc", "a document to re-run (repeatable; default every failed document)")
	pos, cfg, code, ok := parseConfigured(fs, config, args, 1, 1, stderr)
	if !ok {
		return code
	}
	q, err := openRedisQueue(ctx, cfg, queue.Options{Retries: cfg.Queue.Retries}) // Redis only
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	defer q.Close()
	res, err := q.Retry(ctx, pos[0], docs, audit.Actor{Name: osUser()})
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		if errors.Is(err, queue.ErrUnknownBatch) || errors.Is(err, queue.ErrUnknownDocument) {
			return exitUsage
		}
		return exitFailed
	}
	if res.Nothing() {
		fmt.Fprintf(stdout, "%s: nothing failed, nothing to retry\n", pos[0])
		return exitOK
	}
	what := make([]string, 0, len(res.Documents))
	for _, d := range res.Documents {
		what = append(what, strconv.Itoa(d+1))
	}
	// Redis only: retry opens no bucket, so this entry is not mirrored into the archive.
	auditCLI(ctx, cfg, nil, audit.Entry{Action: audit.Retry, Batch: pos[0], What: "documents " + strings.Join(what, ", "),
		After: queue.StateQueued.String(), Detail: fmt.Sprintf("%d pages re-run", res.Pages)}, stderr)
	switch {
	case res.Batch:
		fmt.Fprintf(stdout, "%s: batch task enqueued again\n", pos[0])
	case res.Package:
		fmt.Fprintf(stdout, "%s: package task enqueued again\n", pos[0])
	default:
		fmt.Fprintf(stdout, "%s: re-running documents %s (%d pages)\n", pos[0], strings.Join(what, ", "), res.Pages)
	}
	return exitOK
}
