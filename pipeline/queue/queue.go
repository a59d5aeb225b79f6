// Package queue runs the pipeline as tasks on an asynq queue in Redis, with
// inputs and outputs in S3 buckets, so that many scanning stations and many
// worker machines can share the work.
//
// A batch is submitted by uploading its originals to the inbox store and
// enqueueing one batch task. The batch task enqueues a page task per page; a
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
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/storage"
)

// Task types.
const (
	TypeBatch    = "sohoa:batch"    // fan out a batch's pages
	TypePage     = "sohoa:page"     // normalize and OCR one page
	TypeDocument = "sohoa:document" // build one document's PDF/A, text and ALTO
	TypePackage  = "sohoa:package"  // write the batch's package to the archive
)

// Batch states, as reported by Status.
const (
	StateQueued     = "queued"     // submitted, not packaged yet
	StateComplete   = "complete"   // packaged, every document done
	StateIncomplete = "incomplete" // packaged, some documents failed
	StateFailed     = "failed"     // not packaged: the batch or package task ran out of retries
)

// taskRetention keeps finished tasks (and so their TaskIDs) for this long, so
// that a duplicate enqueue meanwhile is refused. Later duplicates are caught by
// the batch state: finished pages, documents and packages are not redone.
const taskRetention = 24 * time.Hour

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
	// Observer, when set, is told about every page and stage, for metrics.
	Observer Observer
}

// Queue submits batches, runs their tasks and reports their state.
type Queue struct {
	rdb    redis.UniversalClient
	client *asynq.Client
	stores Stores
	opts   Options

	mu      sync.Mutex
	batches map[string]*cachedBatch // local copies, by batch id
}

type cachedBatch struct {
	once    sync.Once
	version int // meta.version it was fetched at
	batch   *pipeline.Batch
	err     error
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
	if opts.CacheDir == "" {
		opts.CacheDir = filepath.Join(os.TempDir(), "sohoa-worker")
	}
	rdb := redis.NewClient(ro)
	return &Queue{rdb: rdb, client: asynq.NewClientFromRedisClient(rdb), stores: stores, opts: opts,
		batches: map[string]*cachedBatch{}}, nil
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

// Redis keys.
func keyBatches() string                  { return "sohoa:batches" }
func keyBatch(id string) string           { return "sohoa:batch:" + id }
func keyFiles(id string) string           { return "sohoa:batch:" + id + ":files" }
func keyPageFails(id string) string       { return "sohoa:batch:" + id + ":pagefail" }
func keyDocs(id string) string            { return "sohoa:batch:" + id + ":docs" }
func keyDocMeta(id string) string         { return "sohoa:batch:" + id + ":docmeta" }
func keyDocPages(id string, d int) string { return fmt.Sprintf("sohoa:batch:%s:doc:%d", id, d) }
func keyDocIndex(id string) string        { return "sohoa:batch:" + id + ":docindex" }
func keyDocCodes(id string) string        { return "sohoa:batch:" + id + ":doccodes" }
func keyStructure(id string) string       { return "sohoa:batch:" + id + ":structure" }
func keyRetry(id string) string           { return "sohoa:batch:" + id + ":retry" }

// Storage keys.
func inboxKey(id, file string) string { return id + "/" + file }
func pageKey(id string, d, p int) string {
	return fmt.Sprintf("%s/pages/%d/%d.gob", id, d, p)
}
func docKey(id string, d int, ext string) string { return fmt.Sprintf("%s/docs/%d/doc.%s", id, d, ext) }

// Task IDs. Round 0 is the submitted run; each Retry starts a new round,
// whose tasks get new IDs (the finished tasks of earlier rounds keep theirs
// for taskRetention).
func pageTaskID(id string, d, p, round int) string {
	return fmt.Sprintf("%s/page/%d/%d", id, d, p) + roundSuffix(round)
}
func docTaskID(id string, d, round int) string {
	return fmt.Sprintf("%s/doc/%d", id, d) + roundSuffix(round)
}
func packageTaskID(id string, round int) string { return id + "/package" + roundSuffix(round) }
func batchTaskID(id string, round int) string   { return id + roundSuffix(round) }

func roundSuffix(round int) string {
	if round == 0 {
		return ""
	}
	return fmt.Sprintf("/retry-%d", round)
}

// round returns the current retry round of batch id.
func (q *Queue) round(ctx context.Context, id string) (int, error) {
	n, err := q.rdb.HGet(ctx, keyBatch(id), "retries").Int()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("batch %s: retries: %w", id, err)
	}
	return n, nil
}

type batchPayload struct {
	Batch string `json:"batch"`
}

type pagePayload struct {
	Batch string `json:"batch"`
	Doc   int    `json:"doc"`  // 0-based document number in batch order
	Page  int    `json:"page"` // 1-based page in the document
}

type docPayload struct {
	Batch string `json:"batch"`
	Doc   int    `json:"doc"`
}

// SubmitResult says what Submit did.
type SubmitResult struct {
	BatchID  string
	Files    int  // files of the batch
	Uploaded int  // files put into the inbox store by this call
	Enqueued bool // false when the batch had been enqueued before
}

// Submit uploads the originals of b (and its metadata sheet) to the inbox
// store, each verified by its SHA-256, skipping those already there with the
// same SHA-256, then enqueues the batch once. lo must be the options b was
// loaded with; workers load the batch again with them. onFile, when set, is
// called after each file.
func (q *Queue) Submit(ctx context.Context, b *pipeline.Batch, lo pipeline.LoadOptions, onFile func(done, total int)) (*SubmitResult, error) {
	files := batchFiles(b)
	res := &SubmitResult{BatchID: b.ID, Files: len(files)}
	local, _, err := localSums(b)
	if err != nil {
		return res, err
	}
	known, err := q.checkSame(ctx, b, local)
	if err != nil {
		return res, err // a different batch under a known id: nothing stored
	}
	sums := map[string]any{}
	for i, f := range files {
		// A known batch had all its files stored before it was recorded (some
		// perhaps as later versions, by Replace): nothing to upload.
		sum, up := local[f], false
		if !known {
			sum, up, err = q.upload(ctx, b, f)
			if err != nil {
				return res, err
			}
		}
		sums[f] = sum
		if up {
			res.Uploaded++
		}
		if onFile != nil {
			onFile(i+1, len(files))
		}
	}
	key := keyBatch(b.ID)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	if err := q.rdb.HSetNX(ctx, key, "submitted", now).Err(); err != nil {
		return res, fmt.Errorf("submit %s: %w", b.ID, err)
	}
	index, codes := map[string]any{}, map[string]any{}
	for i, dr := range documents(b) {
		index[dr.d.Meta.DocCode] = i
		index[dr.d.Source] = i
		codes[strconv.Itoa(i)] = dr.d.Meta.DocCode
	}
	structure, err := encodeStructure(b)
	if err != nil {
		return res, fmt.Errorf("submit %s: %w", b.ID, err)
	}
	pipe := q.rdb.TxPipeline()
	pipe.HSet(ctx, keyFiles(b.ID), sums)
	pipe.Set(ctx, keyStructure(b.ID), structure, 0)
	if len(index) > 0 {
		pipe.HSet(ctx, keyDocIndex(b.ID), index)
		pipe.HSet(ctx, keyDocCodes(b.ID), codes)
	}
	pipe.HSet(ctx, key, "dpi", strconv.FormatFloat(lo.DPI, 'g', -1, 64), "isolated", strconv.FormatBool(lo.Isolated),
		"documents", b.Documents(), "pages", b.Pages())
	pipe.HSetNX(ctx, key, "state", StateQueued)
	pipe.ZAddNX(ctx, keyBatches(), redis.Z{Score: float64(time.Now().Unix()), Member: b.ID})
	if _, err := pipe.Exec(ctx); err != nil {
		return res, fmt.Errorf("submit %s: %w", b.ID, err)
	}
	if n, err := q.rdb.HExists(ctx, key, "enqueued").Result(); err != nil {
		return res, fmt.Errorf("submit %s: %w", b.ID, err)
	} else if n {
		return res, nil
	}
	if err := q.enqueue(ctx, TypeBatch, batchPayload{b.ID}, batchTaskID(b.ID, 0)); err != nil {
		return res, err
	}
	res.Enqueued = true
	if err := q.rdb.HSet(ctx, key, "enqueued", now).Err(); err != nil {
		return res, fmt.Errorf("submit %s: %w", b.ID, err)
	}
	return res, nil
}

// batchFiles lists the files of b to upload: the metadata sheet, if any, and every page file, sorted.
func batchFiles(b *pipeline.Batch) []string {
	seen := map[string]bool{}
	if _, err := os.Stat(filepath.Join(b.Dir, pipeline.MetadataFile)); err == nil {
		seen[pipeline.MetadataFile] = true
	}
	for _, n := range b.SheetFiles() {
		seen[n] = true
	}
	for _, f := range b.Files {
		for _, d := range f.Documents {
			for _, pg := range d.Pages {
				seen[pg.File] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for f := range seen {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// upload puts one file of b into the inbox unless it is there already with the same SHA-256.
func (q *Queue) upload(ctx context.Context, b *pipeline.Batch, file string) (sum string, uploaded bool, err error) {
	f, err := os.Open(filepath.Join(b.Dir, filepath.FromSlash(file)))
	if err != nil {
		return "", false, fmt.Errorf("submit %s: %w", file, err)
	}
	defer f.Close()
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		return "", false, fmt.Errorf("submit %s: %w", file, err)
	}
	sum = hex.EncodeToString(h.Sum(nil))
	key := inboxKey(b.ID, file)
	if info, err := q.stores.Inbox.Stat(ctx, key); err == nil && info.SHA256 == sum {
		return sum, false, nil
	} else if err != nil && !errors.Is(err, storage.ErrNotExist) {
		return "", false, fmt.Errorf("submit %s: %w", file, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", false, fmt.Errorf("submit %s: %w", file, err)
	}
	if _, err := q.stores.Inbox.Put(ctx, key, f, size, storage.PutOptions{SHA256: sum}); err != nil {
		return "", false, fmt.Errorf("submit %s: %w", file, err)
	}
	return sum, true, nil
}

// enqueue enqueues a task once: a TaskID already taken is not an error.
func (q *Queue) enqueue(ctx context.Context, typ string, payload any, id string) error {
	js, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", id, err)
	}
	_, err = q.client.EnqueueContext(ctx, asynq.NewTask(typ, js), asynq.TaskID(id), asynq.MaxRetry(q.opts.Retries),
		asynq.Retention(taskRetention))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue %s: %w", id, err)
	}
	return nil
}

// meta is the batch's hash in Redis.
type meta struct {
	submitted time.Time
	lo        pipeline.LoadOptions
	state     string
	version   int // how many times originals were replaced (Replace)
}

func (q *Queue) meta(ctx context.Context, id string) (*meta, error) {
	h, err := q.rdb.HGetAll(ctx, keyBatch(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("batch %s: %w", id, err)
	}
	if h["submitted"] == "" {
		return nil, fmt.Errorf("batch %s: %w", id, ErrUnknownBatch)
	}
	m := &meta{}
	if m.submitted, err = time.Parse(time.RFC3339Nano, h["submitted"]); err != nil {
		return nil, fmt.Errorf("batch %s: submitted: %w", id, err)
	}
	m.lo.DPI, _ = strconv.ParseFloat(h["dpi"], 64)
	m.lo.Isolated, _ = strconv.ParseBool(h["isolated"])
	m.state = h["state"]
	m.version, _ = strconv.Atoi(h["version"])
	return m, nil
}

// ErrUnknownBatch is returned for a batch id that was never submitted.
var ErrUnknownBatch = errors.New("no such batch")

// batch returns the worker's local copy of a batch, downloading its files
// from the inbox (verified by SHA-256) and loading it as submit did.
func (q *Queue) batch(ctx context.Context, id string, m *meta) (*pipeline.Batch, error) {
	q.mu.Lock()
	cb := q.batches[id]
	if cb == nil || cb.version != m.version { // originals replaced since: fetch the new structure
		cb = &cachedBatch{version: m.version}
		q.batches[id] = cb
	}
	q.mu.Unlock()
	cb.once.Do(func() { cb.batch, cb.err = q.fetch(ctx, id, m) })
	if cb.err != nil {
		q.forget(id, cb) // try again next time
		return nil, cb.err
	}
	if _, err := os.Stat(cb.batch.Dir); err != nil {
		// Removed by the package task of a worker sharing CacheDir: fetch again.
		q.forget(id, cb)
		return q.batch(ctx, id, m)
	}
	return cb.batch, nil
}

// forget drops the cached copy cb of batch id, if it is still the cached one.
func (q *Queue) forget(id string, cb *cachedBatch) {
	q.mu.Lock()
	if q.batches[id] == cb {
		delete(q.batches, id)
	}
	q.mu.Unlock()
}

// fetch returns the batch as Submit loaded it, from the structure stored in
// Redis, with Dir a local folder where its files are fetched as tasks need
// them (fetchFiles). For a batch submitted without a stored structure (by an
// earlier sohoa) it downloads every file and loads the batch again.
func (q *Queue) fetch(ctx context.Context, id string, m *meta) (*pipeline.Batch, error) {
	dir := filepath.Join(q.opts.CacheDir, id)
	if data, err := q.rdb.Get(ctx, keyStructure(id)).Bytes(); err == nil {
		b, err := decodeStructure(data, dir)
		if err != nil {
			return nil, fmt.Errorf("batch %s: structure: %w", id, err)
		}
		if b.ID != id {
			return nil, fmt.Errorf("batch %s: the structure is of batch %s", id, b.ID)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("batch %s: %w", id, err)
		}
		return b, nil
	} else if !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("batch %s: %w", id, err)
	}
	files, err := q.rdb.HGetAll(ctx, keyFiles(id)).Result() // file -> SHA-256
	if err != nil {
		return nil, fmt.Errorf("batch %s: %w", id, err)
	}
	for file, sum := range files {
		dst := filepath.Join(dir, filepath.FromSlash(file))
		if _, err := os.Stat(dst); err == nil {
			continue
		}
		if err := download(ctx, q.stores.Inbox, inboxKey(id, file), dst, sum); err != nil {
			return nil, fmt.Errorf("batch %s: %w", id, err)
		}
	}
	b, err := pipeline.Load(ctx, dir, m.lo)
	if err != nil {
		return nil, fmt.Errorf("batch %s: load: %w", id, err)
	}
	if b.ID != id {
		return nil, fmt.Errorf("batch %s: the inbox holds batch %s", id, b.ID)
	}
	return b, nil
}

// fetchFiles makes sure the named files of batch id are in its local folder
// dir, downloading the missing ones from the inbox, each checked against the
// SHA-256 recorded at submit.
func (q *Queue) fetchFiles(ctx context.Context, id, dir string, files []string) error {
	for _, file := range files {
		dst := filepath.Join(dir, filepath.FromSlash(file))
		sum, err := q.rdb.HGet(ctx, keyFiles(id), file).Result()
		if errors.Is(err, redis.Nil) {
			return fmt.Errorf("batch %s: %s was not submitted", id, file)
		} else if err != nil {
			return fmt.Errorf("batch %s: %w", id, err)
		}
		if have, _, err := bag.HashFile(dst); err == nil && have == sum {
			continue // the current version is here already (an older one, replaced since, is not)
		}
		key, err := q.originalKey(ctx, id, file)
		if err != nil {
			return err
		}
		if err := download(ctx, q.stores.Inbox, key, dst, sum); err != nil {
			return fmt.Errorf("batch %s: %w", id, err)
		}
	}
	return nil
}

// structure is a loaded batch as Submit stores it in Redis, so that workers
// know the batch without downloading it: a page task fetches only its own
// file. Page.Unreadable, an error, is carried as text.
type structure struct {
	Batch      *pipeline.Batch
	Unreadable map[string]string // "document/page" -> why the page's file could not be read when loaded
}

// encodeStructure returns b's structure, without its local folder, as JSON.
func encodeStructure(b *pipeline.Batch) ([]byte, error) {
	cp := *b
	cp.Dir = ""
	st := structure{Batch: &cp, Unreadable: map[string]string{}}
	cp.Files = make([]*pipeline.File, len(b.Files))
	n := 0
	for i, f := range b.Files {
		fc := *f
		fc.Documents = make([]*pipeline.Document, len(f.Documents))
		for j, d := range f.Documents {
			dc := *d
			dc.Pages = make([]*pipeline.Page, len(d.Pages))
			for k, pg := range d.Pages {
				pc := *pg
				if pc.Unreadable != nil {
					st.Unreadable[fmt.Sprintf("%d/%d", n, pc.Index)] = pc.Unreadable.Error()
					pc.Unreadable = nil
				}
				dc.Pages[k] = &pc
			}
			fc.Documents[j] = &dc
			n++
		}
		cp.Files[i] = &fc
	}
	return json.Marshal(&st)
}

// decodeStructure returns the batch stored by encodeStructure, with Dir set to dir.
func decodeStructure(data []byte, dir string) (*pipeline.Batch, error) {
	var st structure
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, err
	}
	if st.Batch == nil {
		return nil, errors.New("no batch")
	}
	b := st.Batch
	b.Dir = dir
	for i, dr := range documents(b) {
		for _, pg := range dr.d.Pages {
			if msg, ok := st.Unreadable[fmt.Sprintf("%d/%d", i, pg.Index)]; ok {
				pg.Unreadable = errors.New(msg)
			}
		}
	}
	return b, nil
}

// download copies an object to dst (atomically), checking its SHA-256.
func download(ctx context.Context, s storage.Store, key, dst, sum string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	r, err := s.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("get %s: %w", key, err)
	}
	defer r.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".download-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), r); err != nil {
		tmp.Close()
		return fmt.Errorf("get %s: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); sum != "" && got != sum {
		return fmt.Errorf("get %s: SHA-256 %s, want %s: %w", key, got, sum, storage.ErrChecksum)
	}
	return os.Rename(tmp.Name(), dst)
}

// documents lists the batch's documents in batch order, the order of the Doc numbers in task payloads.
func documents(b *pipeline.Batch) []docRef {
	var out []docRef
	for _, f := range b.Files {
		for _, d := range f.Documents {
			out = append(out, docRef{f, d})
		}
	}
	return out
}

type docRef struct {
	f *pipeline.File
	d *pipeline.Document
}

// pageResult is what a page task stores: a PageResult without its Page, which is
// found again in the loaded batch.
type pageResult struct {
	Original pipeline.Original
	Geometry pipeline.Geometry
	Width    int
	Height   int
	Image    pdfa.Image
	OCR      *ocr.Result
	Flags    []string
	Timings  pipeline.Timings
	// The second reading of the signer block (pipeline.PageResult).
	SignerWords  []ocr.Word
	SignerRegion image.Rectangle
}

// failure is a page's permanent failure, as recorded in Redis.
type failure struct {
	File   string `json:"file"`
	Page   int    `json:"page"`
	Stage  string `json:"stage"`
	Reason string `json:"reason"`
}

// Handler returns the task handlers on a mux, using engines from pool for OCR.
func (q *Queue) Handler(pool *ocr.Pool) *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.Handle(TypeBatch, classified(q.handleBatch))
	mux.Handle(TypePage, classified(func(ctx context.Context, t *asynq.Task) error { return q.handlePage(ctx, t, pool) }))
	mux.Handle(TypeDocument, classified(q.handleDocument))
	mux.Handle(TypePackage, classified(q.handlePackage))
	return mux
}

// ServerConfig returns an asynq.Config for a worker running concurrency tasks at
// once, with the error handler that records pages whose retries ran out.
func (q *Queue) ServerConfig(concurrency int) asynq.Config {
	return asynq.Config{
		Concurrency:     concurrency,
		ShutdownTimeout: 30 * time.Second,
		// Look for new tasks often when idle: a batch's stages follow each other.
		TaskCheckInterval: 100 * time.Millisecond,
		Logger:            asynqLogger{q.opts.Logger},
		ErrorHandler:      asynq.ErrorHandlerFunc(q.handleError),
		RetryDelayFunc: func(n int, err error, t *asynq.Task) time.Duration {
			return min(time.Duration(1<<min(n, 6))*time.Second, time.Minute)
		},
	}
}

// handleError records a task whose retries ran out (or that failed
// permanently) on its batch, so that nothing is lost silently: a page fails
// its document, which finishes (failed); a document task fails its document,
// and the package is still written; a batch or package task fails the batch
// (StateFailed), with the reason. Retry re-runs them.
func (q *Queue) handleError(ctx context.Context, t *asynq.Task, err error) {
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	if retried < maxRetry && !errors.Is(err, asynq.SkipRetry) {
		q.opts.Logger.Warn("task failed, will retry", "type", t.Type(), "retried", retried, "error", err)
		return
	}
	q.opts.Logger.Error("task failed for good", "type", t.Type(), "retried", retried, "error", err)
	ctx = context.WithoutCancel(ctx)
	var rerr error
	switch t.Type() {
	case TypePage:
		var p pagePayload
		if json.Unmarshal(t.Payload(), &p) != nil {
			return
		}
		fl := failure{Stage: "task", Reason: err.Error()}
		var pe *pipeline.PageError
		if errors.As(err, &permanentError{}) {
			fl.Stage = StageStorage
		}
		if errors.As(err, &pe) {
			fl = failure{File: pe.File, Page: pe.Page, Stage: pe.Stage, Reason: pe.Err.Error()}
		}
		rerr = q.pageFinished(ctx, p, &fl, func() {
			if q.opts.Observer != nil {
				q.opts.Observer.PageFailed(fl.Stage)
			}
		})
	case TypeDocument:
		var p docPayload
		if json.Unmarshal(t.Payload(), &p) != nil {
			return
		}
		rerr = q.rdb.HSetNX(ctx, keyDocs(p.Batch), strconv.Itoa(p.Doc), "failed: document: "+err.Error()).Err()
		if rerr == nil {
			rerr = q.docsDone(ctx, p.Batch)
		}
	case TypeBatch, TypePackage:
		var p batchPayload
		if json.Unmarshal(t.Payload(), &p) != nil {
			return
		}
		stage := "package"
		if t.Type() == TypeBatch {
			stage = "batch"
		}
		rerr = q.rdb.HSet(ctx, keyBatch(p.Batch), "state", StateFailed, "error", stage+": "+err.Error(),
			"finished", time.Now().UTC().Format(time.RFC3339Nano)).Err()
	}
	if rerr != nil {
		q.opts.Logger.Error("recording a failed task", "type", t.Type(), "payload", string(t.Payload()), "error", rerr)
	}
}

func (q *Queue) handleBatch(ctx context.Context, t *asynq.Task) error {
	var p batchPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("batch task: %v: %w", err, asynq.SkipRetry)
	}
	m, err := q.meta(ctx, p.Batch)
	if err != nil {
		return err
	}
	b, err := q.batch(ctx, p.Batch, m)
	if err != nil {
		return err
	}
	round, err := q.round(ctx, b.ID)
	if err != nil {
		return err
	}
	docs := documents(b)
	if len(docs) == 0 {
		return q.enqueue(ctx, TypePackage, batchPayload{b.ID}, packageTaskID(b.ID, round))
	}
	for i, dr := range docs {
		if len(dr.d.Pages) == 0 {
			if err := q.docPagesDone(ctx, b.ID, i, 0); err != nil {
				return err
			}
		}
		for _, pg := range dr.d.Pages {
			if err := q.enqueue(ctx, TypePage, pagePayload{b.ID, i, pg.Index}, pageTaskID(b.ID, i, pg.Index, round)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (q *Queue) handlePage(ctx context.Context, t *asynq.Task, pool *ocr.Pool) error {
	var p pagePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("page task: %v: %w", err, asynq.SkipRetry)
	}
	m, err := q.meta(ctx, p.Batch)
	if err != nil {
		return err
	}
	if m.state != StateQueued {
		return nil // a late duplicate: the batch has finished (Retry makes it queued again first)
	}
	if ok, err := q.rdb.SIsMember(ctx, keyDocPages(p.Batch, p.Doc), p.Page).Result(); err != nil {
		return fmt.Errorf("page %+v: %w", p, err)
	} else if ok {
		// A duplicate delivery of a finished page, or a retry of a task whose
		// worker lost Redis after recording the page but before enqueueing
		// its document: enqueue the document again (its TaskID makes that
		// idempotent), or it would wait for ever.
		return q.docPagesDone(ctx, p.Batch, p.Doc, -1)
	}
	b, err := q.batch(ctx, p.Batch, m)
	if err != nil {
		return err
	}
	docs := documents(b)
	if p.Doc < 0 || p.Doc >= len(docs) || p.Page < 1 || p.Page > len(docs[p.Doc].d.Pages) {
		return fmt.Errorf("page %+v: not in the batch: %w", p, asynq.SkipRetry)
	}
	pg := docs[p.Doc].d.Pages[p.Page-1]
	if err := q.fetchFiles(ctx, p.Batch, b.Dir, []string{pg.File}); err != nil {
		return fmt.Errorf("page %s %d: %w", pg.File, pg.FilePage, err)
	}
	eng, err := pool.Get(ctx)
	if err != nil {
		return fmt.Errorf("page %s %d: %w", pg.File, pg.FilePage, err)
	}
	taskID, _ := asynq.GetTaskID(ctx)
	q.opts.Logger.Info("page started", "task", taskID, "file", pg.File, "page", pg.FilePage)
	po := q.opts.Pipeline
	res, err := pipeline.ProcessPage(ctx, eng, b.Dir, pg, pipeline.PageOptions{DPI: pg.DPI, MinConfidence: minConfidence(po), Encode: po.Encode})
	pool.Put(eng)
	if err != nil {
		var pe *pipeline.PageError
		if errors.As(err, &pe) && pe.Stage == pipeline.StageDecode && ctx.Err() == nil && !errors.Is(err, fs.ErrNotExist) {
			// A corrupt image does not get better: fail its document now (recorded by handleError).
			return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
		}
		return err
	}
	pr := pageResult{Original: res.Original, Geometry: res.Geometry, Width: res.Width, Height: res.Height,
		Image: res.Image, OCR: res.OCR, Flags: res.Flags, Timings: res.Timings, SignerWords: res.SignerWords, SignerRegion: res.SignerRegion}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&pr); err != nil {
		return fmt.Errorf("page %s %d: %w", pg.File, pg.FilePage, err)
	}
	t0 := time.Now()
	if err := putOnce(ctx, q.stores.Work, pageKey(p.Batch, p.Doc, p.Page), buf.Bytes(), nil); err != nil {
		return fmt.Errorf("page %s %d: %w", pg.File, pg.FilePage, err)
	}
	q.observeStage(StageUpload, time.Since(t0))
	if err := q.recordFlags(ctx, p, pg, res.Flags); err != nil {
		return err
	}
	return q.pageFinished(ctx, p, nil, func() {
		if q.opts.Observer != nil {
			q.opts.Observer.PageDone(res)
		}
	})
}

func minConfidence(o pipeline.Options) float64 {
	if o.MinConfidence == 0 {
		return 70
	}
	return o.MinConfidence
}

// putOnce stores data under key; an object already there (from an earlier
// delivery of the same task, whose timings differ) is kept.
func putOnce(ctx context.Context, s storage.Store, key string, data []byte, ret *storage.Retention) error {
	sum := sha256.Sum256(data)
	_, err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data)), storage.PutOptions{SHA256: hex.EncodeToString(sum[:]), Retention: ret})
	if errors.Is(err, storage.ErrExists) {
		return nil
	}
	return err
}

// pageFinished records a page as finished (failed when fl is set) and, when it
// was the last of its document, enqueues the document task. recorded is
// called when this call recorded the page, not an earlier or concurrent
// delivery of its task: what it counts is counted once.
func (q *Queue) pageFinished(ctx context.Context, p pagePayload, fl *failure, recorded func()) error {
	if fl != nil {
		js, _ := json.Marshal(fl)
		if err := q.rdb.HSetNX(ctx, keyPageFails(p.Batch), fmt.Sprintf("%d/%d", p.Doc, p.Page), js).Err(); err != nil {
			return fmt.Errorf("page %+v: %w", p, err)
		}
	}
	added, err := q.rdb.SAdd(ctx, keyDocPages(p.Batch, p.Doc), p.Page).Result()
	if err != nil {
		return fmt.Errorf("page %+v: %w", p, err)
	}
	if added == 1 && recorded != nil {
		recorded()
	}
	return q.docPagesDone(ctx, p.Batch, p.Doc, -1)
}

// docPagesDone enqueues the document task when all n pages of document d have
// finished (n < 0: look the count up).
func (q *Queue) docPagesDone(ctx context.Context, id string, d, n int) error {
	if n < 0 {
		m, err := q.meta(ctx, id)
		if err != nil {
			return err
		}
		b, err := q.batch(ctx, id, m)
		if err != nil {
			return err
		}
		n = len(documents(b)[d].d.Pages)
	}
	done, err := q.rdb.SCard(ctx, keyDocPages(id, d)).Result()
	if err != nil {
		return fmt.Errorf("batch %s document %d: %w", id, d, err)
	}
	if int(done) < n {
		return nil
	}
	round, err := q.round(ctx, id)
	if err != nil {
		return err
	}
	return q.enqueue(ctx, TypeDocument, docPayload{id, d}, docTaskID(id, d, round))
}

// loadPages returns the results and errors of a document's pages, as the page tasks stored them.
func (q *Queue) loadPages(ctx context.Context, id string, d int, doc *pipeline.Document) ([]*pipeline.PageResult, []error, error) {
	fails, err := q.rdb.HGetAll(ctx, keyPageFails(id)).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("batch %s: %w", id, err)
	}
	results := make([]*pipeline.PageResult, len(doc.Pages))
	errs := make([]error, len(doc.Pages))
	for i, pg := range doc.Pages {
		if js, ok := fails[fmt.Sprintf("%d/%d", d, pg.Index)]; ok {
			var fl failure
			if err := json.Unmarshal([]byte(js), &fl); err != nil {
				return nil, nil, fmt.Errorf("batch %s: failure record: %w", id, err)
			}
			errs[i] = &pipeline.PageError{File: fl.File, Page: fl.Page, Stage: fl.Stage, Err: errors.New(fl.Reason)}
			if fl.File == "" {
				errs[i] = &pipeline.PageError{File: pg.File, Page: pg.FilePage, Stage: fl.Stage, Err: errors.New(fl.Reason)}
			}
			continue
		}
		data, err := getAll(ctx, q.stores.Work, pageKey(id, d, pg.Index))
		if err != nil {
			return nil, nil, err
		}
		var pr pageResult
		if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&pr); err != nil {
			return nil, nil, fmt.Errorf("page result %s: %w", pageKey(id, d, pg.Index), err)
		}
		res := &pipeline.PageResult{Page: pg, Original: pr.Original, Geometry: pr.Geometry, Width: pr.Width, Height: pr.Height,
			Image: pr.Image, OCR: pr.OCR, Flags: pr.Flags, Timings: pr.Timings, SignerWords: pr.SignerWords, SignerRegion: pr.SignerRegion}
		if res.OCR == nil {
			res.OCR = &ocr.Result{}
		}
		results[i] = res
	}
	return results, errs, nil
}

func getAll(ctx context.Context, s storage.Store, key string) ([]byte, error) {
	r, err := s.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return data, nil
}

func (q *Queue) handleDocument(ctx context.Context, t *asynq.Task) error {
	var p docPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("document task: %v: %w", err, asynq.SkipRetry)
	}
	if ok, err := q.rdb.HExists(ctx, keyDocs(p.Batch), strconv.Itoa(p.Doc)).Result(); err != nil {
		return fmt.Errorf("document %+v: %w", p, err)
	} else if ok {
		return q.docsDone(ctx, p.Batch)
	}
	m, err := q.meta(ctx, p.Batch)
	if err != nil {
		return err
	}
	b, err := q.batch(ctx, p.Batch, m)
	if err != nil {
		return err
	}
	dr := documents(b)[p.Doc]
	results, errs, err := q.loadPages(ctx, p.Batch, p.Doc, dr.d)
	if err != nil {
		return err
	}
	status := "done"
	if len(dr.d.Pages) == 0 {
		status = "empty" // like Process, which neither builds nor counts it
	}
	for _, e := range errs {
		if e != nil {
			status = "failed: " + e.Error()
			break
		}
	}
	if status == "done" && !dr.d.Stack { // a stack's documents are built by the package task, once it is split
		t0 := time.Now()
		out, err := pipeline.MakeDocument(ctx, b, dr.f, dr.d, results, q.opts.Pipeline.DocumentOptions(m.submitted))
		q.observeStage(pipeline.StagePDF, time.Since(t0))
		if err != nil {
			status = fmt.Sprintf("failed: %s: %s", pipeline.StagePDF, err)
		} else {
			for _, f := range []struct {
				ext  string
				data []byte
			}{{"pdf", out.PDF}, {"txt", out.Text}, {"alto.xml", out.ALTO}} {
				if err := putOnce(ctx, q.stores.Work, docKey(p.Batch, p.Doc, f.ext), f.data, nil); err != nil {
					return fmt.Errorf("document %s: %w", dr.d.Source, err)
				}
			}
			if err := q.recordDocMeta(ctx, p.Batch, p.Doc, dr.d.ApplyFields(results)); err != nil {
				return err
			}
		}
	}
	if err := q.rdb.HSetNX(ctx, keyDocs(p.Batch), strconv.Itoa(p.Doc), status).Err(); err != nil {
		return fmt.Errorf("document %s: %w", dr.d.Source, err)
	}
	return q.docsDone(ctx, p.Batch)
}

// docsDone enqueues the package task when every document of the batch has finished.
func (q *Queue) docsDone(ctx context.Context, id string) error {
	n, err := q.rdb.HGet(ctx, keyBatch(id), "documents").Int()
	if err != nil {
		return fmt.Errorf("batch %s: %w", id, err)
	}
	done, err := q.rdb.HLen(ctx, keyDocs(id)).Result()
	if err != nil {
		return fmt.Errorf("batch %s: %w", id, err)
	}
	if int(done) < n {
		return nil
	}
	round, err := q.round(ctx, id)
	if err != nil {
		return err
	}
	return q.enqueue(ctx, TypePackage, batchPayload{id}, packageTaskID(id, round))
}

func (q *Queue) handlePackage(ctx context.Context, t *asynq.Task) error {
	var p batchPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("package task: %v: %w", err, asynq.SkipRetry)
	}
	if st, err := q.rdb.HGet(ctx, keyBatch(p.Batch), "state").Result(); err != nil {
		return fmt.Errorf("batch %s: %w", p.Batch, err)
	} else if st != StateQueued {
		return nil
	}
	m, err := q.meta(ctx, p.Batch)
	if err != nil {
		return err
	}
	b, err := q.batch(ctx, p.Batch, m)
	if err != nil {
		return err
	}
	var originals []string // they go into the package
	for _, dr := range documents(b) {
		for _, pg := range dr.d.Pages {
			originals = append(originals, pg.File)
		}
	}
	if err := q.fetchFiles(ctx, p.Batch, b.Dir, originals); err != nil {
		return err
	}
	docStatus, err := q.rdb.HGetAll(ctx, keyDocs(p.Batch)).Result()
	if err != nil {
		return fmt.Errorf("batch %s: %w", p.Batch, err)
	}
	out := filepath.Join(q.opts.CacheDir, ".packages", fmt.Sprintf("%s-%d", p.Batch, time.Now().UnixNano()))
	defer func() {
		seal.MakeWritable(out) // a sealed package is read-only
		os.RemoveAll(out)
	}()
	po := q.opts.Pipeline
	if po.Superseded, err = q.superseded(ctx, p.Batch); err != nil {
		return err
	}
	po.Overwrite = true
	po.Now = func() time.Time { return m.submitted } // the same package from every run
	po.Location = p.Batch + "/"                      // in the archive store
	pk, err := pipeline.NewPackager(b, out, po)
	if err != nil {
		return err
	}
	defer pk.Abort()
	for i, dr := range documents(b) {
		if len(dr.d.Pages) == 0 {
			continue // as in Process
		}
		results, errs, err := q.loadPages(ctx, p.Batch, i, dr.d)
		if err != nil {
			return err
		}
		var dout *pipeline.DocumentOutput
		st := docStatus[strconv.Itoa(i)]
		if reason, failed := strings.CutPrefix(st, "failed: "); failed && !slices.ContainsFunc(errs, func(e error) bool { return e != nil }) {
			// The document failed after its pages (its task ran out of
			// retries, or its PDF could not be made): fail it in the package
			// too rather than build it here.
			errs[0] = errors.New(reason)
		}
		if st == "done" && !dr.d.Stack {
			dout = &pipeline.DocumentOutput{}
			for ext, dst := range map[string]*[]byte{"pdf": &dout.PDF, "txt": &dout.Text, "alto.xml": &dout.ALTO} {
				if *dst, err = getAll(ctx, q.stores.Work, docKey(p.Batch, i, ext)); err != nil {
					return err
				}
			}
		}
		if err := pk.AddDocument(ctx, dr.f, dr.d, results, errs, dout); err != nil {
			return err
		}
	}
	rep, err := pk.Finish()
	if err != nil && !errors.Is(err, pipeline.ErrIncomplete) {
		return err
	}
	// Only a complete package is locked: an incomplete one is replaced by the
	// package of a successful Retry.
	var ret *storage.Retention
	if q.opts.Retention != nil && rep.Complete {
		ret = q.opts.Retention(time.Now())
	}
	bagDir := rep.Bag
	if q.opts.Signer != nil && rep.Complete {
		chain := seal.StoreChain{Store: q.stores.Archive, Retention: ret}
		link, err := chain.Seal(ctx, bagDir, q.opts.Signer)
		if err != nil {
			return fmt.Errorf("batch %s: %w", p.Batch, err)
		}
		q.opts.Logger.Info("batch sealed", "batch", p.Batch, "seal", link.SHA256, "previous", link.PreviousSHA256)
	}
	if err := q.archive(ctx, p.Batch, bagDir, ret); err != nil {
		return fmt.Errorf("batch %s: archive: %w", p.Batch, err)
	}
	state := StateComplete
	if !rep.Complete {
		state = StateIncomplete
	}
	if err := q.rdb.HSet(ctx, keyBatch(p.Batch), "state", state, "finished", time.Now().UTC().Format(time.RFC3339Nano)).Err(); err != nil {
		return fmt.Errorf("batch %s: %w", p.Batch, err)
	}
	if rep.Complete && q.opts.CleanWork {
		// The page and document results are in the package now. An
		// incomplete batch keeps them for Retry. The originals stay in the inbox.
		q.cleanWork(ctx, p.Batch)
	}
	q.mu.Lock()
	delete(q.batches, p.Batch)
	q.mu.Unlock()
	os.RemoveAll(filepath.Join(q.opts.CacheDir, p.Batch))
	q.opts.Logger.Info("batch packaged", "batch", p.Batch, "state", state, "documents", rep.DocumentsDone, "of", rep.Documents)
	return nil
}

// cleanWork deletes the intermediate objects of batch id from the work store.
// A failure only leaves garbage behind, so it is logged, not returned.
func (q *Queue) cleanWork(ctx context.Context, id string) {
	var keys []string
	err := q.stores.Work.List(ctx, id+"/", func(o storage.ObjectInfo) error { keys = append(keys, o.Key); return nil })
	for _, k := range keys {
		if err == nil {
			err = q.stores.Work.Delete(ctx, k)
		}
	}
	if err != nil {
		q.opts.Logger.Warn("cleaning the work store", "batch", id, "error", err)
	}
}

// archive writes the bag at dir to the archive store under id/, with
// retention ret. Objects already there that are not part of this bag, or
// differ, are deleted first: they are left from an incomplete package (never
// locked) that this one replaces. With ret set every unlocked object is
// rewritten so that the whole package is locked; locked ones were written by
// an earlier delivery of this same package and are kept, and must be equal.
func (q *Queue) archive(ctx context.Context, id, dir string, ret *storage.Retention) error {
	files := map[string]string{} // key -> file
	err := filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		files[path.Join(id, filepath.ToSlash(rel))] = p
		return nil
	})
	if err != nil {
		return err
	}
	var old []string
	if err := q.stores.Archive.List(ctx, id+"/", func(o storage.ObjectInfo) error { old = append(old, o.Key); return nil }); err != nil {
		return err
	}
	for _, key := range old {
		if file, ok := files[key]; ok && ret == nil {
			info, err := q.stores.Archive.Stat(ctx, key)
			if err != nil {
				return err
			}
			if sum, _, err := bag.HashFile(file); err != nil {
				return err
			} else if sum == info.SHA256 {
				continue
			}
		}
		if err := q.stores.Archive.Delete(ctx, key); err != nil && !errors.Is(err, storage.ErrLocked) {
			return fmt.Errorf("replacing the incomplete package: %w", err)
		}
	}
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if err := putFile(ctx, q.stores.Archive, key, files[key], ret); err != nil {
			return err
		}
	}
	return nil
}

// putFile stores a file under key; an equal object already there is kept, a different one is an error.
func putFile(ctx context.Context, s storage.Store, key, name string, ret *storage.Retention) error {
	sum, _, err := bag.HashFile(name)
	if err != nil {
		return err
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = s.Put(ctx, key, f, fi.Size(), storage.PutOptions{SHA256: sum, Retention: ret})
	return err
}

// BatchStatus is the state of a submitted batch.
type BatchStatus struct {
	ID              string    `json:"id"`
	State           string    `json:"state"`
	Submitted       time.Time `json:"submitted"`
	Documents       int       `json:"documents"`
	DocumentsDone   int       `json:"documentsDone"`
	DocumentsFailed int       `json:"documentsFailed"`
	Pages           int       `json:"pages"`
	PagesDone       int       `json:"pagesDone"`
	PagesFailed     int       `json:"pagesFailed"`
	// Failures lists the failed documents, by number in batch order, with the reason.
	Failures map[int]string `json:"failures,omitempty"`
	// Codes holds the mã lưu trữ tài liệu of each failed document, by number
	// as in Failures (what "sohoa retry --doc" takes).
	Codes map[int]string `json:"codes,omitempty"`
	// Error is why the batch failed (StateFailed).
	Error string `json:"error,omitempty"`
	// Retries counts the Retry calls that re-ran something.
	Retries int `json:"retries,omitempty"`
}

// Finished reports whether the batch's tasks have all ended: its package has
// been written (complete or incomplete) or it failed.
func (s *BatchStatus) Finished() bool {
	return s.State == StateComplete || s.State == StateIncomplete || s.State == StateFailed
}

// Status returns the state of batch id.
func (q *Queue) Status(ctx context.Context, id string) (*BatchStatus, error) {
	h, err := q.rdb.HGetAll(ctx, keyBatch(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("status %s: %w", id, err)
	}
	if h["submitted"] == "" {
		return nil, fmt.Errorf("status %s: %w", id, ErrUnknownBatch)
	}
	s := &BatchStatus{ID: id, State: h["state"]}
	s.Submitted, _ = time.Parse(time.RFC3339Nano, h["submitted"])
	s.Documents, _ = strconv.Atoi(h["documents"])
	s.Pages, _ = strconv.Atoi(h["pages"])
	s.Retries, _ = strconv.Atoi(h["retries"])
	s.Error = h["error"]
	pipe := q.rdb.Pipeline()
	cards := make([]*redis.IntCmd, s.Documents)
	for d := range cards {
		cards[d] = pipe.SCard(ctx, keyDocPages(id, d))
	}
	fails := pipe.HLen(ctx, keyPageFails(id))
	docs := pipe.HGetAll(ctx, keyDocs(id))
	codes := pipe.HGetAll(ctx, keyDocCodes(id))
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("status %s: %w", id, err)
	}
	for _, c := range cards {
		s.PagesDone += int(c.Val())
	}
	s.PagesFailed = int(fails.Val())
	s.PagesDone -= s.PagesFailed
	for k, v := range docs.Val() {
		switch v {
		case "done":
			s.DocumentsDone++
			continue
		case "empty":
			continue
		}
		s.DocumentsFailed++
		if s.Failures == nil {
			s.Failures, s.Codes = map[int]string{}, map[int]string{}
		}
		n, _ := strconv.Atoi(k)
		s.Failures[n] = strings.TrimPrefix(v, "failed: ")
		if c := codes.Val()[k]; c != "" {
			s.Codes[n] = c
		}
	}
	return s, nil
}

// ErrRunning is returned by Retry for a batch whose tasks have not all ended.
var ErrRunning = errors.New("batch still being processed")

// RetryResult says what Retry re-runs.
type RetryResult struct {
	Documents []int // documents re-run, by number in batch order (0-based)
	Pages     int   // failed pages re-run
	Batch     bool  // the batch task is re-run (it had failed)
	Package   bool  // the package task is re-run (it had failed)
}

// Nothing reports whether there was nothing to re-run.
func (r *RetryResult) Nothing() bool { return len(r.Documents) == 0 && !r.Batch && !r.Package }

// Retry re-runs what failed in a finished batch: the failed pages of its
// failed documents (documents that failed while being built are built
// again), then their documents and the package; or the batch or package task
// when one of those failed. docs, when not empty, limits the re-run to the
// named documents (mã lưu trữ tài liệu, folder or file in the batch, or
// 1-based number in batch order), which must have failed. The tasks run in a
// new round, with new TaskIDs; pages and documents that are done are not
// redone. A package written incomplete is replaced by the new one, locked if
// it is complete. Retry returns ErrRunning while the batch's tasks run.
//
// Retry first records what it re-runs, in one Redis transaction that fails
// (ErrRunning) if another Retry of the batch got there first, then enqueues
// it: a Retry interrupted in between is finished by calling Retry again.
func (q *Queue) Retry(ctx context.Context, id string, docs []string) (*RetryResult, error) {
	var tasks []string
	err := q.rdb.Watch(ctx, func(tx *redis.Tx) error {
		var err error
		tasks, err = planRetry(ctx, tx, id, docs)
		return err
	}, keyBatch(id), keyRetry(id))
	if errors.Is(err, redis.TxFailedErr) {
		return nil, fmt.Errorf("retry %s: retried at the same time by someone else: %w", id, ErrRunning)
	}
	if err != nil {
		return nil, err
	}
	res := &RetryResult{}
	if len(tasks) == 0 {
		return res, nil
	}
	return res, q.enqueueRetry(ctx, id, tasks, res)
}

// planRetry records in a transaction on tx what Retry re-runs, and returns
// the tasks to enqueue (those of an interrupted Retry, if any).
func planRetry(ctx context.Context, tx *redis.Tx, id string, docs []string) ([]string, error) {
	h, err := tx.HGetAll(ctx, keyBatch(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("retry %s: %w", id, err)
	}
	if h["submitted"] == "" {
		return nil, fmt.Errorf("retry %s: %w", id, ErrUnknownBatch)
	}
	if pending, err := tx.SMembers(ctx, keyRetry(id)).Result(); err != nil {
		return nil, fmt.Errorf("retry %s: %w", id, err)
	} else if len(pending) > 0 {
		return pending, nil // finish an interrupted Retry
	}
	if h["state"] == StateQueued {
		return nil, fmt.Errorf("retry %s: %w", id, ErrRunning)
	}
	status, err := tx.HGetAll(ctx, keyDocs(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("retry %s: %w", id, err)
	}
	failed := func(d int) bool { return strings.HasPrefix(status[strconv.Itoa(d)], "failed") }
	ndocs, _ := strconv.Atoi(h["documents"])
	var sel []int
	if len(docs) > 0 {
		index, err := tx.HGetAll(ctx, keyDocIndex(id)).Result()
		if err != nil {
			return nil, fmt.Errorf("retry %s: %w", id, err)
		}
		seen := map[int]bool{}
		for _, name := range docs {
			d, ok := -1, false
			if v, found := index[name]; found {
				d, _ = strconv.Atoi(v)
				ok = true
			} else if n, err := strconv.Atoi(name); err == nil && n >= 1 && n <= ndocs {
				d, ok = n-1, true
			}
			switch {
			case !ok:
				return nil, fmt.Errorf("retry %s: no document %q in the batch: %w", id, name, ErrUnknownDocument)
			case !failed(d):
				return nil, fmt.Errorf("retry %s: document %q did not fail: %w", id, name, ErrUnknownDocument)
			case !seen[d]:
				seen[d] = true
				sel = append(sel, d)
			}
		}
	} else {
		for d := 0; d < ndocs; d++ {
			if failed(d) {
				sel = append(sel, d)
			}
		}
	}
	sort.Ints(sel)
	var tasks []string // "page d p", "doc d", "batch", "package"
	var pageKeys []string
	pagesOf := map[int][]string{}
	fails, err := tx.HKeys(ctx, keyPageFails(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("retry %s: %w", id, err)
	}
	for _, k := range fails {
		var d, p int
		if _, err := fmt.Sscanf(k, "%d/%d", &d, &p); err == nil {
			pagesOf[d] = append(pagesOf[d], k)
		}
	}
	for _, d := range sel {
		if len(pagesOf[d]) == 0 {
			tasks = append(tasks, fmt.Sprintf("doc %d", d))
			continue
		}
		for _, k := range pagesOf[d] {
			var dd, p int
			fmt.Sscanf(k, "%d/%d", &dd, &p)
			tasks = append(tasks, fmt.Sprintf("page %d %d", d, p))
			pageKeys = append(pageKeys, k)
		}
	}
	if len(sel) == 0 && h["state"] == StateFailed {
		if len(status) == ndocs {
			tasks = append(tasks, "package")
		} else {
			tasks = append(tasks, "batch")
		}
	}
	if len(tasks) == 0 {
		// Nothing failed, as far as what was read says. The reads are not a
		// snapshot: make sure no other Retry changed the batch meanwhile (the
		// transaction fails if a watched key changed).
		if _, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Ping(ctx); return nil }); err != nil {
			return nil, fmt.Errorf("retry %s: %w", id, err)
		}
		return nil, nil
	}
	round, _ := strconv.Atoi(h["retries"])
	pipe := tx.TxPipeline()
	pipe.HSet(ctx, keyBatch(id), "retries", round+1)
	for _, k := range pageKeys {
		var d, p int
		fmt.Sscanf(k, "%d/%d", &d, &p)
		pipe.SRem(ctx, keyDocPages(id, d), p)
	}
	if len(pageKeys) > 0 {
		pipe.HDel(ctx, keyPageFails(id), pageKeys...)
	}
	for _, d := range sel {
		pipe.HDel(ctx, keyDocs(id), strconv.Itoa(d))
		pipe.HDel(ctx, keyDocMeta(id), strconv.Itoa(d))
	}
	pipe.HDel(ctx, keyBatch(id), "error", "finished")
	pipe.HSet(ctx, keyBatch(id), "state", StateQueued)
	pipe.SAdd(ctx, keyRetry(id), tasks)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("retry %s: %w", id, err)
	}
	return tasks, nil
}

// ErrUnknownDocument is returned by Retry for a document that is not in the batch or did not fail.
var ErrUnknownDocument = errors.New("cannot retry document")

// enqueueRetry enqueues the tasks recorded by Retry, in the current round, then forgets them.
func (q *Queue) enqueueRetry(ctx context.Context, id string, tasks []string, res *RetryResult) error {
	round, err := q.round(ctx, id)
	if err != nil {
		return err
	}
	sort.Strings(tasks)
	if err := q.dropResults(ctx, id, tasks); err != nil {
		return err
	}
	docs := map[int]bool{}
	for _, t := range tasks {
		var d, p int
		switch {
		case strings.HasPrefix(t, "drop "):
			continue
		case t == "batch":
			res.Batch = true
			err = q.enqueue(ctx, TypeBatch, batchPayload{id}, batchTaskID(id, round))
		case t == "package":
			res.Package = true
			err = q.enqueue(ctx, TypePackage, batchPayload{id}, packageTaskID(id, round))
		case strings.HasPrefix(t, "page "):
			fmt.Sscanf(t, "page %d %d", &d, &p)
			docs[d] = true
			res.Pages++
			err = q.enqueue(ctx, TypePage, pagePayload{id, d, p}, pageTaskID(id, d, p, round))
		default:
			fmt.Sscanf(t, "doc %d", &d)
			docs[d] = true
			err = q.enqueue(ctx, TypeDocument, docPayload{id, d}, docTaskID(id, d, round))
		}
		if err != nil {
			return fmt.Errorf("retry %s: %w", id, err)
		}
	}
	for d := range docs {
		res.Documents = append(res.Documents, d)
	}
	sort.Ints(res.Documents)
	if err := q.rdb.Del(ctx, keyRetry(id)).Err(); err != nil {
		return fmt.Errorf("retry %s: %w", id, err)
	}
	return nil
}

// Batches returns the ids of all submitted batches, oldest first.
func (q *Queue) Batches(ctx context.Context) ([]string, error) {
	ids, err := q.rdb.ZRange(ctx, keyBatches(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("batches: %w", err)
	}
	return ids, nil
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
