package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/s3"
	"github.com/sohoa-vn/sohoa/storage/s3/s3test"
)

// queueEnv is a deployment for one test: its own Redis database and buckets, a config file and the sohoa binary.
type queueEnv struct {
	svc     testenv.Services
	db      int
	prefix  string // bucket name prefix
	config  string
	bin     string
	env     []string
	workers []*exec.Cmd
}

func newQueueEnv(t *testing.T) *queueEnv {
	t.Helper()
	return newQueueEnvOn(t, testenv.Get(t), testenv.RedisDB(t))
}

// newQueueEnvOn is newQueueEnv with the services of svc, on Redis database db there.
func newQueueEnvOn(t *testing.T, svc testenv.Services, db int) *queueEnv {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: svc.RedisAddr, DB: db})
	defer rdb.Close()
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	e := &queueEnv{svc: svc, db: db, prefix: testenv.BucketPrefix(t)}
	e.bin = filepath.Join(t.TempDir(), "sohoa")
	if out, err := exec.Command("go", "build", "-o", e.bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	e.config = filepath.Join(t.TempDir(), "sohoa.yaml")
	cfg := fmt.Sprintf(`redis:
  url: redis://%s/%d
s3:
  endpoint: %s
  inboxBucket: %s-inbox
  workBucket: %s-work
  archiveBucket: %s-archive
queue:
  retries: 2
retention:
  mode: GOVERNANCE
  years: 1
review:
  required: false
`, svc.RedisAddr, db, svc.S3Endpoint, e.prefix, e.prefix, e.prefix)
	if err := os.WriteFile(e.config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	e.env = append(os.Environ(), "OMP_THREAD_LIMIT=1", "SOHOA_S3_ACCESS_KEY="+svc.S3AccessKey, "SOHOA_S3_SECRET_KEY="+svc.S3SecretKey,
		"TMPDIR="+t.TempDir())
	t.Cleanup(e.stopWorkers)
	return e
}

func (e *queueEnv) sohoa(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(e.bin, append(args, "--config", e.config)...)
	cmd.Env = e.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("sohoa %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out), nil
}

func (e *queueEnv) startWorker(t *testing.T, logName string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(e.bin, "worker", "--concurrency", "1", "--config", e.config)
	cmd.Env = e.env
	log, err := os.Create(filepath.Join(t.TempDir(), logName))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e.workers = append(e.workers, cmd)
	return cmd
}

// stopWorkers sends SIGTERM to every running worker and waits for it.
func (e *queueEnv) stopWorkers() {
	for _, w := range e.workers {
		if w.ProcessState == nil {
			w.Process.Signal(syscall.SIGTERM)
			w.Wait()
		}
	}
}

func (e *queueEnv) queue(t *testing.T) *queue.Queue {
	t.Helper()
	q, err := queue.New(fmt.Sprintf("redis://%s/%d", e.svc.RedisAddr, e.db), queue.Stores{}, queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

// waitFinished polls the batch's state until its package is written.
func (e *queueEnv) waitFinished(t *testing.T, id string, limit time.Duration) *queue.BatchStatus {
	t.Helper()
	return testenv.WaitBatch(t, id, limit, e.queue(t).Status)
}

func (e *queueEnv) archive(t *testing.T) *s3.Store {
	t.Helper()
	s, err := s3.New(context.Background(), s3.Config{Endpoint: e.svc.S3Endpoint, Bucket: e.prefix + "-archive",
		AccessKey: e.svc.S3AccessKey, SecretKey: e.svc.S3SecretKey, ObjectLock: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// download copies every object under prefix/ to dir and returns their SHA-256 by path.
func download(t *testing.T, s storage.Store, prefix string) map[string]string {
	t.Helper()
	ctx := context.Background()
	sums := map[string]string{}
	err := s.List(ctx, prefix+"/", func(o storage.ObjectInfo) error {
		r, err := s.Get(ctx, o.Key)
		if err != nil {
			return err
		}
		defer r.Close()
		h := sha256.New()
		if _, err := io.Copy(h, r); err != nil {
			return err
		}
		sums[strings.TrimPrefix(o.Key, prefix+"/")] = hex.EncodeToString(h.Sum(nil))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

func hashTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sum := sha256.Sum256(data)
		sums[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestQueueHappyPath submits the sample batch, runs two worker processes and
// checks that the package in the archive bucket equals what process writes.
func TestQueueHappyPath(t *testing.T) {
	e := newQueueEnv(t)
	start := time.Now()
	out, err := e.sohoa(t, "submit", "../../testdata/batch")
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(out)
	if id != "demo-2025-001" {
		t.Fatalf("submit printed %q", out)
	}
	e.startWorker(t, "worker1.log")
	e.startWorker(t, "worker2.log")
	st := e.waitFinished(t, id, testenv.WaitLimit)
	t.Logf("queue run: %v", time.Since(start).Round(time.Millisecond))
	if st.State != queue.StateComplete || st.DocumentsDone != 4 || st.PagesDone != 4 || st.PagesFailed != 0 {
		t.Errorf("status = %+v", st)
	}
	arch := e.archive(t)
	got := download(t, arch, id)

	// The package is under object lock: it cannot be deleted or replaced.
	ctx := context.Background()
	pdfKey := id + "/data/H49.64.33.2024.01.VTLT/H49.64.33.2024.01.VTLT.1.pdf"
	if err := arch.Delete(ctx, pdfKey); !errors.Is(err, storage.ErrLocked) {
		t.Errorf("delete of a package object: %v, want storage.ErrLocked", err)
	}
	if _, err := arch.Put(ctx, pdfKey, strings.NewReader("forged"), 6, storage.PutOptions{}); !errors.Is(err, storage.ErrExists) {
		t.Errorf("overwrite of a package object: %v, want storage.ErrExists", err)
	}
	if mode, until, err := arch.Client().GetObjectRetention(ctx, arch.Bucket(), pdfKey, ""); err != nil || mode == nil || *mode != "GOVERNANCE" ||
		until == nil || until.Before(time.Now().AddDate(0, 11, 0)) {
		t.Errorf("retention of %s: %v until %v, %v; want GOVERNANCE for a year", pdfKey, mode, until, err)
	}
	if after := download(t, arch, id); after[strings.TrimPrefix(pdfKey, id+"/")] != got[strings.TrimPrefix(pdfKey, id+"/")] {
		t.Error("package object changed")
	}

	// The same batch through process, pinned to the submission time.
	b, err := pipeline.Load(context.Background(), "../../testdata/batch", pipeline.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	outDir := t.TempDir()
	dropout, err := ocr.ParseInks(configs.Default().OCR.Dropout) // as the workers read it
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	_, err = pipeline.Process(context.Background(), b, outDir, pipeline.Options{Workers: 2, Languages: "vie", MinConfidence: 70, Dropout: dropout,
		PDF: pdfa.Options{Part: "2b"}, Producer: "sohoa " + Version, Now: func() time.Time { return st.Submitted }})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("process run: %v", time.Since(start).Round(time.Millisecond))
	want := hashTree(t, filepath.Join(outDir, id))
	// The queue's package also holds the audit trail (the submission by "sohoa submit"); process writes none.
	if got[pipeline.AuditTrailFile] == "" {
		t.Errorf("the queue's package has no %s", pipeline.AuditTrailFile)
	}
	delete(got, pipeline.AuditTrailFile)
	if g, w := strings.Join(keys(got), "\n"), strings.Join(keys(want), "\n"); g != w {
		t.Fatalf("package files differ:\nqueue:\n%s\nprocess:\n%s", g, w)
	}
	same := 0
	for _, k := range keys(want) {
		// batch.json records per-page timings, so it and the tag manifest listing it differ.
		if k == bag.BatchRecordFile || k == bag.TagManifestFile {
			continue
		}
		if got[k] != want[k] {
			t.Errorf("%s: queue SHA-256 %s, process %s", k, got[k], want[k])
			continue
		}
		same++
	}
	t.Logf("%d of %d package files identical to process's", same, len(want))

	// A second submit uploads nothing and does not enqueue again.
	cmd := exec.Command(e.bin, "submit", "../../testdata/batch", "--config", e.config)
	cmd.Env = e.env
	msg, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(msg), "0 uploaded, 5 already there; enqueued: false") {
		t.Errorf("second submit: %v\n%s", err, msg)
	}
	// status lists the batch.
	if out, err := e.sohoa(t, "status"); err != nil || !strings.Contains(out, "demo-2025-001\tcomplete\tdocuments 4 done, 0 failed, 4 total") {
		t.Errorf("status: %v\n%s", err, out)
	}
	// Workers stop gracefully on SIGTERM.
	for _, w := range e.workers {
		w.Process.Signal(syscall.SIGTERM)
		if err := w.Wait(); err != nil {
			t.Errorf("worker after SIGTERM: %v", err)
		}
	}
}

// copyBatch copies the sample batch (following its links) to a new folder with batch id id.
func copyBatch(t *testing.T, id string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), id)
	if err := testenv.CopyTree("../../testdata/batch", dst); err != nil {
		t.Fatal(err)
	}
	meta := filepath.Join(dst, "batch.json")
	data, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), `"id": "demo-2025-001"`, `"id": "`+id+`"`, 1))
	if err := os.WriteFile(meta, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestQueuePoison: a corrupt TIFF fails only its document, at once (no
// retries), with the reason recorded and shown by status.
func TestQueuePoison(t *testing.T) {
	e := newQueueEnv(t)
	dir := copyBatch(t, "poison-1")
	tif := filepath.Join(dir, "H49.64.33.2024.01.VTLT/2/page-001.tif")
	data, err := os.ReadFile(tif)
	if err != nil {
		t.Fatal(err)
	}
	good := bytes.Clone(data)
	// The header stays whole (validation passes); the image data is zeros.
	clear(data[len(data)/3 : len(data)-4096])
	if err := os.WriteFile(tif, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sohoa(t, "submit", dir); err != nil {
		t.Fatal(err)
	}
	e.startWorker(t, "worker1.log")
	e.startWorker(t, "worker2.log")
	st := e.waitFinished(t, "poison-1", testenv.WaitLimit)
	if st.State != queue.StateIncomplete || st.DocumentsDone != 3 || st.DocumentsFailed != 1 || st.PagesDone != 3 || st.PagesFailed != 1 {
		t.Errorf("status = %+v", st)
	}
	reason := st.Failures[1]
	if !strings.Contains(reason, "H49.64.33.2024.01.VTLT/2/page-001.tif page 1: decode:") {
		t.Errorf("failures = %v", st.Failures)
	}
	out, err := e.sohoa(t, "status", "poison-1")
	if err != nil || !strings.Contains(out, "poison-1\tincomplete\tdocuments 3 done, 1 failed, 4 total\tpages 3 done, 1 failed, 4 total") ||
		!strings.Contains(out, "failed document 2 (H49.64.33.2024.01.VTLT.0000002): H49.64.33.2024.01.VTLT/2/page-001.tif page 1: decode:") {
		t.Errorf("status: %v\n%s", err, out)
	}
	// The corrupt page failed at once: no retry.
	ro, _ := asynq.ParseRedisURI(fmt.Sprintf("redis://%s/%d", e.svc.RedisAddr, e.db))
	insp := asynq.NewInspector(ro)
	defer insp.Close()
	if ti, err := insp.GetTaskInfo("default", "poison-1/page/1/1"); err != nil || ti.Retried != 0 || ti.State != asynq.TaskStateArchived {
		t.Errorf("corrupt page's task: %+v, %v; want archived without retries", ti, err)
	}
	got := download(t, e.archive(t), "poison-1")
	for _, k := range []string{"data/originals/H49.64.33.2024.01.VTLT/2/page-001.tif", "data/H49.64.33.2024.01.VTLT/H49.64.33.2024.01.VTLT.1.pdf",
		"data/H49.64.33.2025.02.VTLT/H49.64.33.2025.02.VTLT.2.pdf", bag.InfoFile, bag.BatchRecordFile} {
		if got[k] == "" {
			t.Errorf("package lacks %s", k)
		}
	}
	if got["data/H49.64.33.2024.01.VTLT/H49.64.33.2024.01.VTLT.2.pdf"] != "" {
		t.Error("the failed document has a PDF in the package")
	}

	// retry re-runs the corrupt page: it fails again for the same reason, at
	// once, and the replaced package is the same, nothing duplicated.
	if _, err := e.sohoa(t, "retry", "poison-1", "--doc", "H49.64.33.2024.01.VTLT/1"); err == nil || !strings.Contains(err.Error(), "did not fail") {
		t.Errorf("retry of a document that did not fail: %v", err)
	}
	out, err = e.sohoa(t, "retry", "poison-1", "--doc", "H49.64.33.2024.01.VTLT.0000002", "--doc", "2")
	if err != nil || out != "poison-1: re-running documents 2 (1 pages)\n" {
		t.Errorf("retry: %q, %v", out, err)
	}
	st2 := e.waitFinished(t, "poison-1", testenv.WaitLimit)
	if st2.State != queue.StateIncomplete || st2.DocumentsDone != 3 || st2.DocumentsFailed != 1 || st2.PagesDone != 3 || st2.PagesFailed != 1 ||
		st2.Failures[1] != reason || st2.Retries != 1 {
		t.Errorf("status after retry = %+v, want as before (%q) with one retry", st2, reason)
	}
	if ti, err := insp.GetTaskInfo("default", "poison-1/page/1/1/retry-1"); err != nil || ti.Retried != 0 || ti.State != asynq.TaskStateArchived {
		t.Errorf("retried corrupt page's task: %+v, %v; want archived without retries", ti, err)
	}
	if got2 := download(t, e.archive(t), "poison-1"); strings.Join(keys(got2), " ") != strings.Join(keys(got), " ") {
		t.Errorf("package after retry:\n%v\nbefore:\n%v", keys(got2), keys(got))
	} else {
		for k, v := range got {
			// The audit trail (and the tag manifest listing it) now records the retry.
			if got2[k] != v && k != pipeline.AuditTrailFile && k != "tagmanifest-sha256.txt" {
				t.Errorf("%s changed by the retry", k)
			}
		}
		if got2[pipeline.AuditTrailFile] == got[pipeline.AuditTrailFile] {
			t.Errorf("the package's audit trail does not record the retry")
		}
	}
	if out, err := e.sohoa(t, "status", "poison-1"); err != nil || !strings.Contains(out, "retried 1 times") {
		t.Errorf("status: %v\n%s", err, out)
	}

	// The station scans the page again: submitting the folder again is
	// refused (exit 2), submit --replace stores it as a new version and
	// re-runs its document, and the batch completes.
	if err := os.WriteFile(tif, good, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(e.bin, "submit", dir, "--config", e.config)
	cmd.Env = e.env
	msg, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(msg), "submit --replace") {
		t.Errorf("submit of the corrected batch under its id: exit %d, %v\n%s", code, err, msg)
	}
	cmd = exec.Command(e.bin, "submit", "--replace", dir, "--config", e.config)
	cmd.Env = e.env
	msg, err = cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(msg), "replaced H49.64.33.2024.01.VTLT/2/page-001.tif") ||
		!strings.Contains(string(msg), "re-running 1 page(s) of documents 2") {
		t.Errorf("submit --replace: %v\n%s", err, msg)
	}
	st3 := e.waitFinished(t, "poison-1", testenv.WaitLimit)
	if st3.State != queue.StateComplete || st3.DocumentsDone != 4 || st3.PagesDone != 4 || st3.Retries != 2 {
		t.Errorf("status after submit --replace = %+v", st3)
	}
	out2, pdfs := testenv.FetchPackage(t, e.archive(t), "poison-1")
	if pdfs != 4 {
		t.Errorf("%d PDFs in the package, want 4", pdfs)
	}
	checkCompletePackage(t, out2)
	cmd = exec.Command(e.bin, "submit", "--replace", dir, "--config", e.config)
	cmd.Env = e.env
	again := bytes.Clone(good) // another bad scan, header whole
	clear(again[len(again)/2 : len(again)-4096])
	if err := os.WriteFile(tif, again, 0o644); err != nil {
		t.Fatal(err)
	}
	msg, _ = cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(string(msg), "sealed") {
		t.Errorf("submit --replace in a complete batch: exit %d\n%s", code, msg)
	}
}

// TestQueueCrash kills a worker with SIGKILL in the middle of a page; the
// batch still completes, every document once, with a valid package.
func TestQueueCrash(t *testing.T) {
	e := newQueueEnv(t)
	dir := copyBatch(t, "crash-1")
	if _, err := e.sohoa(t, "submit", dir); err != nil {
		t.Fatal(err)
	}
	ro, err := asynq.ParseRedisURI(fmt.Sprintf("redis://%s/%d", e.svc.RedisAddr, e.db))
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(ro)
	defer insp.Close()

	a := e.startWorker(t, "worker-a.log")
	// The worker logs "page started" once it has the page's file and an OCR
	// engine, right before processing it (seconds of work): kill it then.
	killed := waitLogLine(t, a, `msg="page started"`, "task")
	if err := a.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	a.Wait()
	if ti, err := insp.GetTaskInfo("default", killed); err != nil || ti.State != asynq.TaskStateActive {
		t.Fatalf("killed page task %s: %v, %v; want still active", killed, ti, err)
	}
	if st, err := e.queue(t).Status(context.Background(), "crash-1"); err != nil || st.PagesDone != 0 {
		t.Fatalf("status after the kill: %+v, %v; want no page done", st, err)
	}
	// asynq hands the dead worker's task to another worker once its lease has
	// been expired for 30 s, found by the recoverer of a running worker (every
	// minute): about a minute of waiting, as in production.
	e.startWorker(t, "worker-b.log")
	e.startWorker(t, "worker-c.log")
	st := e.waitFinished(t, "crash-1", testenv.WaitLimit)
	if st.State != queue.StateComplete || st.DocumentsDone != 4 || st.PagesDone != 4 {
		t.Errorf("status = %+v", st)
	}
	if ti, err := insp.GetTaskInfo("default", killed); err != nil || ti.Retried < 1 || ti.State != asynq.TaskStateCompleted {
		t.Errorf("killed page task %s: %+v, %v; want completed after a retry", killed, ti, err)
	}

	// Every document exactly once, and the package checks out.
	out, pdfs := testenv.FetchPackage(t, e.archive(t), "crash-1")
	if pdfs != 4 {
		t.Errorf("%d PDFs in the package, want 4", pdfs)
	}
	checkCompletePackage(t, out)
}

// waitLogLine waits, for testenv.WaitLimit at most, until the log of the worker w
// (written to a file) has a line containing match, and returns the value of
// that line's attribute attr (slog's text format).
func waitLogLine(t *testing.T, w *exec.Cmd, match, attr string) string {
	t.Helper()
	f, ok := w.Stderr.(*os.File)
	if !ok {
		t.Fatal("worker log is not a file")
	}
	deadline := time.Now().Add(testenv.WaitLimit)
	for {
		data, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(string(data)) {
			if !strings.Contains(line, match) {
				continue
			}
			for field := range strings.FieldsSeq(line) {
				if v, ok := strings.CutPrefix(field, attr+"="); ok {
					return strings.Trim(v, `"`)
				}
			}
			t.Fatalf("log line %q has no %s", line, attr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s in the worker's log after %v:\n%s", match, testenv.WaitLimit, data)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitAnyLog waits, for limit at most, until the log of one of workers
// (written to files) has a line containing match.
func waitAnyLog(t *testing.T, workers []*exec.Cmd, match string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		for _, w := range workers {
			f, ok := w.Stderr.(*os.File)
			if !ok {
				t.Fatal("worker log is not a file")
			}
			if data, err := os.ReadFile(f.Name()); err != nil {
				t.Fatal(err)
			} else if strings.Contains(string(data), match) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no worker logged %q in %v", match, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// serviceProcess is a service (Redis) run by one test, which the test
// can kill and start again: command makes its command line, ready tells when
// it answers.
type serviceProcess struct {
	name    string
	addr    string
	command func() *exec.Cmd
	ready   func() error
	cmd     *exec.Cmd
	log     *os.File
}

// launch opens the service's log, starts it and stops it when the test ends.
func (p *serviceProcess) launch(t *testing.T) {
	t.Helper()
	var err error
	if p.log, err = os.Create(filepath.Join(t.TempDir(), p.name+".log")); err != nil {
		t.Fatal(err)
	}
	p.start(t)
	t.Cleanup(func() { p.stop(); p.log.Close() })
}

// start runs the service and waits until it answers.
func (p *serviceProcess) start(t *testing.T) {
	t.Helper()
	p.cmd = p.command()
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := p.ready()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s at %s did not start: %v (log in %s)", p.name, p.addr, err, p.log.Name())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop kills the service at once (SIGKILL), as a crash or a pulled cable would.
func (p *serviceProcess) stop() {
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Kill()
	p.cmd.Wait()
	p.cmd = nil
}

// submitMidway submits a copy of the sample batch as id, starts two workers
// and waits until one of its pages is done: the moment the outage tests pull
// a service away. It returns the batch folder and a Queue to watch it.
func (e *queueEnv) submitMidway(t *testing.T, id string) (string, *queue.Queue) {
	t.Helper()
	dir := copyBatch(t, id)
	if _, err := e.sohoa(t, "submit", dir); err != nil {
		t.Fatal(err)
	}
	e.startWorker(t, "worker1.log")
	e.startWorker(t, "worker2.log")
	q := e.queue(t)
	waitPageDone(t, q, id)
	return dir, q
}

// TestQueueOutage stops MinIO in the middle of a batch until a worker has
// logged a retry of S3, then starts it again: the workers wait and retry, and
// the batch completes without any manual action, every document exactly once,
// with a valid package. The outage lasts until that signal, not a fixed time:
// a worker busy with OCR for longer than a fixed outage would never meet it,
// and an outage longer than the retry budget (a minute) would cost a task retry.
func TestQueueOutage(t *testing.T) {
	m := s3test.Start(t)
	svc := testenv.Get(t)
	svc.S3Endpoint, svc.S3AccessKey, svc.S3SecretKey = m.Addr, s3test.AccessKey, s3test.SecretKey
	e := newQueueEnvOn(t, svc, testenv.RedisDB(t))
	dir, q := e.submitMidway(t, "outage-1")
	ctx := context.Background()
	m.Stop()
	stopped := time.Now()
	waitAnyLog(t, e.workers, "s3 unavailable, retrying", testenv.WaitLimit)
	st, err := q.Status(ctx, "outage-1")
	if err != nil {
		t.Fatal(err)
	}
	if st.Finished() {
		t.Fatalf("batch finished while MinIO was down: %+v", st)
	}
	m.Start(t)
	t.Logf("MinIO down for %v, with the batch at %d of %d pages", time.Since(stopped).Round(time.Millisecond), st.PagesDone, st.Pages)

	st = e.waitFinished(t, "outage-1", testenv.WaitLimit)
	if st.State != queue.StateComplete || st.DocumentsDone != 4 || st.PagesDone != 4 || st.PagesFailed != 0 || st.Retries != 0 {
		t.Errorf("status = %+v", st)
	}
	retried := 0
	for _, w := range e.workers {
		if f, ok := w.Stderr.(*os.File); ok {
			data, _ := os.ReadFile(f.Name())
			retried += strings.Count(string(data), "s3 unavailable, retrying")
		}
	}
	if retried == 0 {
		t.Error("no worker logged a retry of S3: the outage did not hit the batch")
	}
	out, pdfs := testenv.FetchPackage(t, e.archive(t), "outage-1")
	if pdfs != 4 {
		t.Errorf("%d PDFs in the package, want 4", pdfs)
	}
	checkCompletePackage(t, out)
	// The originals in the package are the submitted files.
	for _, f := range []string{"H49.64.33.2024.01.VTLT/2/page-001.tif", "H49.64.33.2025.02.VTLT/01-cv-giao-nop.png"} {
		want := hashTree(t, filepath.Join(dir, filepath.Dir(f)))[filepath.Base(f)]
		if got := hashTree(t, filepath.Join(out, "data/originals", filepath.Dir(f)))[filepath.Base(f)]; got == "" || got != want {
			t.Errorf("original %s in the package: SHA-256 %s, want %s", f, got, want)
		}
	}
}

// redisServer is a Redis process of one test, persisting every write to its
// append-only file, which the test can kill and start again.
type redisServer struct {
	serviceProcess
	dir string
}

func startRedis(t *testing.T) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server not found in PATH (install it with scripts/deps.sh --services)")
	}
	r := &redisServer{dir: t.TempDir()}
	r.serviceProcess = serviceProcess{name: "redis", addr: testenv.FreeAddr(t), command: func() *exec.Cmd {
		_, port, _ := net.SplitHostPort(r.addr)
		return exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", r.dir, "--save", "",
			"--appendonly", "yes", "--appendfsync", "always", "--maxmemory-policy", "noeviction")
	}, ready: func() error {
		rdb := redis.NewClient(&redis.Options{Addr: r.addr})
		defer rdb.Close()
		return rdb.Ping(context.Background()).Err()
	}}
	r.launch(t)
	return r
}

// TestQueueRedisRestart kills Redis (SIGKILL) in the middle of a batch and
// starts it again 10 s later from its append-only file: the workers reconnect,
// the batch state and the tasks are still there, and the batch completes
// without manual action, every document exactly once.
func TestQueueRedisRestart(t *testing.T) {
	r := startRedis(t)
	svc := testenv.Get(t)
	svc.RedisAddr = r.addr
	e := newQueueEnvOn(t, svc, 0)
	_, q := e.submitMidway(t, "redis-1")
	ctx := context.Background()
	r.stop()
	time.Sleep(10 * time.Second)
	r.start(t)
	st, err := q.Status(ctx, "redis-1")
	if err != nil {
		t.Fatalf("batch state after the Redis restart: %v", err)
	}
	t.Logf("Redis restarted with the batch at %d of %d pages, state %s", st.PagesDone, st.Pages, st.State)
	st = e.waitFinished(t, "redis-1", testenv.WaitLimit)
	if st.State != queue.StateComplete || st.DocumentsDone != 4 || st.PagesDone != 4 || st.PagesFailed != 0 || st.Retries != 0 {
		t.Errorf("status = %+v", st)
	}
	// Every document exactly once, and the package checks out (fetchPackage
	// fails the test if the archive cannot be listed or read).
	out, pdfs := testenv.FetchPackage(t, e.archive(t), "redis-1")
	if pdfs != 4 {
		t.Errorf("%d PDFs in the package, want 4", pdfs)
	}
	checkCompletePackage(t, out)
	for _, w := range e.workers {
		w.Process.Signal(syscall.SIGTERM)
		if err := w.Wait(); err != nil {
			t.Errorf("worker after SIGTERM: %v", err)
		}
	}
}

// waitPageDone waits, for testenv.WaitLimit at most, until a page of batch id is done.
func waitPageDone(t *testing.T, q *queue.Queue, id string) {
	t.Helper()
	deadline := time.Now().Add(testenv.WaitLimit)
	for {
		st, err := q.Status(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if st.PagesDone >= 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no page done after %v: %+v", testenv.WaitLimit, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkCompletePackage checks that the bag at out is valid and complete, with its 4 documents.
func checkCompletePackage(t *testing.T, out string) {
	t.Helper()
	probs, err := bag.Validate(out)
	if err != nil || len(probs) != 0 {
		t.Errorf("package: %v %v", probs, err)
	}
	info, _ := bag.ReadInfo(filepath.Join(out, bag.InfoFile))
	if info.Get(pipeline.BagStatusLabel) != "complete" || info.Get("Sohoa-Documents") != "4 of 4" {
		t.Errorf("bag-info: %v", info)
	}
}
