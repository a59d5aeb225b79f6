// Package queue runs the pipeline as tasks on an asynq queue in Redis, with
// inputs and outputs in S3 buckets, so that many scanning stations and many
// worker machines can share the work.
//
// A batch is submitted by uploading its originals to the inbox store and
// enqueueing one batch task (and the first page tasks, so that workers start
// at once). The batch task enqueues a page task per page; a
// page task runs pipeline.ProcessPage and stores the result in the work store;
// when every page of a document has finished, a document task runs
// pipeline.MakeDocument; when every document has finished, a package task
// assembles the BagIt package with pipeline.Packager, seals it when a signer
// is configured (the batch's last step), and writes it to the archive store
// under retention. The queue holds no pipeline logic of its own:
// it only schedules the stages and moves their inputs and outputs.
//
// Every task has a deterministic TaskID and writes to deterministic keys, so a
// retried or duplicated delivery writes the same objects. Batch state (counts,
// per-document status, failures) is kept in Redis hashes and sets, readable
// with Status. A task that fails for good (a corrupt page at once, a transient
// fault once its retries are used up) is recorded on the batch with its
// reason; Retry re-runs what failed, in a new round of TaskIDs. An incomplete
// package is written without retention so that a successful Retry can replace
// it; a complete one is locked, and the batch's objects in the work store are
// then deleted (the originals stay in the inbox).
package queue

import (
	"context"
	"fmt"
	"github.com/sohoa-vn/sohoa/pipeline/aip"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/cache"
	"github.com/sohoa-vn/sohoa/pipeline/copies"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/storage"
)

// Stores are the three buckets of a deployment.
type Stores struct {
	Inbox   storage.Store // originals, as uploaded by submit: <batch id>/<file>
	Work    storage.Store // page and document results: <batch id>/...
	Archive storage.Store // finished packages: <batch id>/<path in the bag>
}

// Options controls a Queue.
type Options struct {
	// Pipeline holds the processing settings (languages, thresholds, PDF); its
	// Now, Workers, Engines, OnPage and Overwrite are not used.
	Pipeline pipeline.Options
	// Now is the clock of submission: a batch's submission time is the date
	// of its PDFs and packages (as the start of "sohoa process" is).
	// Default time.Now.
	Now func() time.Time
	// Retries is how often a task failing for a transient reason is retried.
	Retries int
	// Retention is the lock put on package objects; nil means none.
	Retention func(now time.Time) *storage.Retention
	// CacheDir is where a worker keeps local copies of the batches it works on;
	// default a folder under os.TempDir().
	CacheDir string
	Logger   *slog.Logger // default slog.Default()
	// CleanWork deletes a batch's objects from the work store once its
	// complete package is archived. They are what the dashboard shows a
	// batch's pages from (thumbnails, page details).
	CleanWork bool
	// Signer, when set, seals every complete package as the package task's
	// last step before it is archived. The organisation's chain of seals is
	// kept in the archive store under seal.StoreChainPrefix.
	Signer seal.Signer
	// Stamper, when set with Signer, timestamps every seal (RFC 3161), so
	// that the package still verifies after the certificate expires.
	Stamper seal.Stamper
	// Observer, when set, is told about every page and stage, for metrics.
	Observer Observer
	// AIP holds the codes of the AIP_hoso packages written beside each package.
	AIP aip.Options
	// Copies are the archive's independent copies besides the primary
	// (Stores.Archive). With copies, a complete package goes through the
	// replicate step (TypeReplicate) and the batch is complete only once the
	// package is stored, locked and verified in every copy.
	Copies []copies.Copy
	// BackupLog, when set, records each package copied into a copy (the nhật
	// ký sao lưu); a failure to record fails the replicate step, which is retried.
	BackupLog func(ctx context.Context, batch, copy string, fig copies.Figures) error
	// Review holds a processed batch for a reviewer when Required (see
	// ReviewPlan and Approve); its package is assembled only once approved.
	Review ReviewOptions
}

// Queue submits batches, runs their tasks and reports their state.
type Queue struct {
	rdb       redis.UniversalClient
	client    *asynq.Client
	inspector *asynq.Inspector // for the fallback tasks of stages handed off (handOff)
	stores    Stores
	opts      Options

	batches *cache.Cache[*pipeline.Batch] // local copies, by batchCacheKey
	local   localCopies                   // the originals checked in those copies
	kept    keptObjects                   // the work store objects this worker stored and kept (keep)
}

// New connects to the Redis at redisURL (redis://[:password@]host:port/db).
func New(redisURL string, stores Stores, opts Options) (*Queue, error) {
	ro, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, fmt.Errorf("queue: redis url: %w", err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CacheDir == "" {
		opts.CacheDir = filepath.Join(os.TempDir(), "sohoa-worker")
	}
	rdb := redis.NewClient(ro)
	return &Queue{rdb: rdb, client: asynq.NewClientFromRedisClient(rdb), inspector: asynq.NewInspectorFromRedisClient(rdb), stores: stores, opts: opts,
		batches: cache.New[*pipeline.Batch](maxCachedBatches, 0)}, nil
}

// Close closes the Redis connections.
func (q *Queue) Close() error { return q.rdb.Close() }

// Redis returns the Redis client, for an asynq.Server (asynq.NewServerFromRedisClient).
func (q *Queue) Redis() redis.UniversalClient { return q.rdb }

// CheckNoEviction returns an error unless Redis runs with maxmemory-policy
// noeviction: an evicted key is a lost task or lost batch state.
func (q *Queue) CheckNoEviction(ctx context.Context) error {
	m, err := q.rdb.ConfigGet(ctx, "maxmemory-policy").Result()
	if err != nil {
		return fmt.Errorf("redis: maxmemory-policy: %w", err)
	}
	if p := m["maxmemory-policy"]; p != "noeviction" {
		return fmt.Errorf("redis: maxmemory-policy is %q; it must be noeviction, or tasks and batch state can be lost", p)
	}
	return nil
}

// Handler returns the task handlers on a mux, using engines from pool for OCR.
func (q *Queue) Handler(pool *ocr.Pool) *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.Handle(TypeBatch, classified(q.handleBatch))
	// A page or document task that finishes its stage runs the next one itself (see handOff).
	mux.Handle(TypePage, classified(func(ctx context.Context, t *asynq.Task) error { return q.runPage(ctx, t, pool, true) }))
	mux.Handle(TypeDocument, classified(func(ctx context.Context, t *asynq.Task) error { return q.runDocument(ctx, t, true) }))
	mux.Handle(TypePackage, classified(q.handlePackage))
	mux.HandleFunc(TypeReplicate, q.handleReplicate) // every error retried: a copy may come back
	return mux
}

// ioSlots is how many tasks a worker runs besides its OCR engines' count:
// while every engine recognises a page, these fetch the next page's
// original, store a finished page's result, or build and store a document,
// which wait on the stores rather than use the CPU. A page task in such a
// slot waits for an engine (ocr.Pool.Get) with its original fetched.
const ioSlots = 1

// ServerConfig returns an asynq.Config for a worker with concurrency OCR
// engines (it runs ioSlots more tasks at once, see ioSlots), with the error
// handler that records pages whose retries ran out.
func (q *Queue) ServerConfig(concurrency int) asynq.Config {
	return asynq.Config{
		Concurrency:     concurrency + ioSlots,
		ShutdownTimeout: 30 * time.Second,
		// Look for new tasks often when idle: a batch's stages follow each
		// other. 20 ms cost more CPU in polling than it saved in waiting:
		// cpu-queue/process 1.15-1.17 against 1.05-1.07 at 100 ms
		// (BenchmarkQueueOverhead on the quiet machine).
		TaskCheckInterval: 100 * time.Millisecond,
		Logger:            asynqLogger{q.opts.Logger},
		ErrorHandler:      asynq.ErrorHandlerFunc(q.handleError),
		RetryDelayFunc: func(n int, err error, t *asynq.Task) time.Duration {
			return min(time.Duration(1<<min(n, 6))*time.Second, time.Minute)
		},
	}
}

// asynqLogger sends asynq's log to slog.
type asynqLogger struct{ l *slog.Logger }

// AsynqLogger returns an asynq.Logger that writes to l, for an asynq server or
// scheduler next to the queue's own.
func AsynqLogger(l *slog.Logger) asynq.Logger { return asynqLogger{l} }

func (a asynqLogger) Debug(args ...any) {}
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }

// now is the queue's clock (Options.Now).
func (q *Queue) now() time.Time { return q.opts.Now() }
