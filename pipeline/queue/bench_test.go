package queue

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/state"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/s3"
	"github.com/sohoa-vn/sohoa/storage/s3/s3test"
)

// benchWorkers is the parallelism of both runs: OCR engines and worker concurrency.
const benchWorkers = 2

// processCPU returns the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkQueueOverhead runs a batch of 12 one-page documents in three hồ
// sơ (benchBatch) through pipeline.Process on local disk and through the
// queue (submit to the inbox bucket, page, document and package tasks on
// Redis, package written to the archive bucket) side by side, three times
// each, interleaved, with the same number of workers; OCR engines and the
// queue worker are started before the clock. It reports the ratio of the
// wall times (queue/process; the target is at most 1.05) and of the CPU
// times of this process (cpu-queue/process; Redis and MinIO run apart and
// are not counted), and how long Submit took (submit-s) and how long the
// batch took after its last document was done (tail-s: packaging), and the
// CPU time the test Redis and MinIO spent during each queue run
// (redis-cpu-s, minio-cpu-s): on a shared machine it is taken from the
// pages' cores. MinIO's is also reported by phase: while Submit ran
// (minio-submit-s: the originals' upload, with the first pages), from
// Submit's end to the last document (minio-pages-s: originals fetched,
// page and document results stored) and after it (minio-package-s: the
// package stored); and what it is spent on: the S3 requests of a queue run
// (s3-requests, and by method: s3-put, s3-head, s3-get, s3-delete) and the
// megabytes of their bodies (s3-mb-sent, s3-mb-received). Besides the ratio
// of the sums, the median of the rounds' own ratios (queue/process-median)
// is reported: each round's queue run follows its Process run, so a load
// that changes between rounds weighs on both halves of a pair alike.
func BenchmarkQueueOverhead(b *testing.B) { benchQueueOverhead(b, 12, benchWorkers) }

// BenchmarkQueueOverheadOneWorker is BenchmarkQueueOverhead on 10 one-page
// documents with one OCR engine and one queue worker, where the queue's
// fixed costs (upload before the first page, packaging after the last)
// weigh most.
func BenchmarkQueueOverheadOneWorker(b *testing.B) { benchQueueOverhead(b, 10, 1) }

// benchQueueOverhead runs pages one-page documents through Process and the
// queue, with workers engines and workers, as BenchmarkQueueOverhead says.
func benchQueueOverhead(b *testing.B, pages, workers int) {
	const rounds = 3
	ctx := context.Background()
	batch := loadBenchBatch(b, pages)
	// Both sides keep their OCR engines across rounds, as a long-running
	// worker does: a pool starts its engines lazily, and Tesseract's start-up
	// is not what is measured.
	pool, workerPool := benchPool(b, workers), benchPool(b, workers)
	svc := findServices(b)
	var proc, procCPU, queue, queueCPU, submit, tail, redisCPU, minioCPU time.Duration
	var minioPhase [3]time.Duration // during Submit, then to the last document, then to the end
	var ratios []float64            // each round's queue/process
	var sent, received int64
	s3reqs := map[string]int{}
	b.ResetTimer()
	for i := 0; i < b.N*rounds; i++ {
		out := b.TempDir()
		start, startCPU := time.Now(), processCPU()
		_, err := pipeline.Process(ctx, batch, out, pipeline.Options{Workers: workers, Engines: pool, Languages: "vie"})
		if err != nil {
			b.Fatal(err)
		}
		procWall := time.Since(start)
		proc, procCPU = proc+procWall, procCPU+processCPU()-startCPU

		b.StopTimer()
		q, _, _ := newTestQueue(b)
		q.opts.Pipeline.Languages = "vie"
		reqs := countS3Requests(b, q)
		srv := startBenchWorker(b, q, workerPool, workers)
		b.StartTimer()
		redis0, minio0 := svc.cpu(b)
		start, startCPU = time.Now(), processCPU()
		run := runBenchBatch(b, q, batch, svc)
		queueWall := time.Since(start)
		submit += run.submit
		queue, queueCPU = queue+queueWall, queueCPU+processCPU()-startCPU
		tail += time.Since(run.docsDone)
		redis1, minio1 := svc.cpu(b)
		redisCPU, minioCPU = redisCPU+redis1-redis0, minioCPU+minio1-minio0
		for k, m := range []time.Duration{run.minioSubmitted, run.minioDocsDone, minio1} {
			minioPhase[k] += m - minio0
			minio0 = m
		}
		ratios = append(ratios, queueWall.Seconds()/procWall.Seconds())
		b.StopTimer()
		srv.Shutdown()
		for m, k := range reqs.Take() { // with the cleaning after the batch's end
			s3reqs[m] += k
		}
		s, r := reqs.TakeBytes()
		sent, received = sent+s, received+r
		b.StartTimer()
	}
	n := float64(b.N * rounds)
	b.ReportMetric(proc.Seconds()/n, "process-s")
	b.ReportMetric(queue.Seconds()/n, "queue-s")
	b.ReportMetric(submit.Seconds()/n, "submit-s")
	b.ReportMetric(tail.Seconds()/n, "tail-s")
	b.ReportMetric(redisCPU.Seconds()/n, "redis-cpu-s")
	b.ReportMetric(minioCPU.Seconds()/n, "minio-cpu-s")
	for k, name := range []string{"minio-submit-s", "minio-pages-s", "minio-package-s"} {
		b.ReportMetric(minioPhase[k].Seconds()/n, name)
	}
	reportS3Requests(b, s3reqs, n)
	b.ReportMetric(float64(sent)/1e6/n, "s3-mb-sent")
	b.ReportMetric(float64(received)/1e6/n, "s3-mb-received")
	b.ReportMetric(queue.Seconds()/proc.Seconds(), "queue/process")
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "queue/process-median")
	b.ReportMetric(queueCPU.Seconds()/procCPU.Seconds(), "cpu-queue/process")
}

// countS3Requests puts q's inbox, work and archive stores on the same
// buckets through one s3test.Requests, which counts their requests.
func countS3Requests(b testing.TB, q *Queue) *s3test.Requests {
	b.Helper()
	reqs, err := s3test.NewRequests()
	if err != nil {
		b.Fatal(err)
	}
	svc := testenv.Get(b)
	counted := func(s storage.Store) *s3.Store {
		if c, ok := s.(*countingStore); ok {
			s = c.Store
		}
		cs, err := s3.New(context.Background(), s3.Config{Endpoint: svc.S3Endpoint, Bucket: s.(*s3.Store).Bucket(),
			AccessKey: svc.S3AccessKey, SecretKey: svc.S3SecretKey, Transport: reqs})
		if err != nil {
			b.Fatal(err)
		}
		return cs
	}
	q.stores.Inbox, q.stores.Work, q.stores.Archive = counted(q.stores.Inbox), counted(q.stores.Work), counted(q.stores.Archive)
	reqs.Take() // New's look at the buckets
	reqs.TakeBytes()
	return reqs
}

// reportS3Requests reports the S3 requests of n queue runs, counted by
// method in reqs, per run: in all (s3-requests) and by method (s3-put, ...).
func reportS3Requests(b *testing.B, reqs map[string]int, n float64) {
	total := 0
	for m, k := range reqs {
		total += k
		b.ReportMetric(float64(k)/n, "s3-"+strings.ToLower(m))
	}
	b.ReportMetric(float64(total)/n, "s3-requests")
}

// benchBatch makes a batch of n one-page documents, four to a hồ sơ, from
// the sample pages (colour and grey, JPEG, PNG and TIFF, upright, turned and
// skewed): the per-batch costs of the queue (submit, stage hand-offs,
// packaging) weigh on it as on a small real batch, not as on a toy one.
func benchBatch(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	samples := []string{"bb-giao-nhan-p01.jpg", "cv-giao-nop-p01.png", "qd-chinh-ly-p01.jpg", "tt-so-hoa-p01.tif"}
	for k := 0; k < n; k++ {
		name := samples[k%len(samples)]
		data, err := os.ReadFile(filepath.Join("../../testdata/samples", name))
		if err != nil {
			b.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("H49.64.33.2025.%02d.BENCH", k/len(samples)+1), fmt.Sprint(k%len(samples)+1), "p1"+filepath.Ext(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// loadBenchBatch loads benchBatch's batch of n pages.
func loadBenchBatch(b *testing.B, n int) *pipeline.Batch {
	b.Helper()
	batch, err := pipeline.Load(context.Background(), benchBatch(b, n), pipeline.LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return batch
}

// benchPool starts a pool of n Vietnamese OCR engines, closed when the
// benchmark ends.
func benchPool(b *testing.B, n int) *ocr.Pool {
	b.Helper()
	pool, err := ocr.NewPool(n, ocr.Options{Languages: "vie"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pool.Close() })
	return pool
}

// startBenchWorker starts a worker of n on q with the engines of pool; the
// caller shuts it down.
func startBenchWorker(b *testing.B, q *Queue, pool *ocr.Pool, n int) *asynq.Server {
	b.Helper()
	srv := asynq.NewServerFromRedisClient(q.Redis(), q.ServerConfig(n))
	if err := srv.Start(q.Handler(pool)); err != nil {
		b.Fatal(err)
	}
	return srv
}

// queueRun is what runBenchBatch saw of one queue run.
type queueRun struct {
	submit                        time.Duration // how long Submit took
	docsDone                      time.Time     // when the last document was done (what follows is packaging)
	minioSubmitted, minioDocsDone time.Duration // MinIO's CPU time when Submit returned, and at docsDone
}

// runBenchBatch submits batch to q and waits until it is finished; it fails
// the benchmark unless the batch is complete. It returns how long Submit
// took, when the last document was done, and MinIO's CPU time (found in
// svc; none when svc is nil) at both. It looks every 10 ms at the batch's
// state and its count of finished documents only, in one round trip: the
// whole Status (a dozen Redis commands) as often would put the waiting's
// own cost on the queue's side of the ratios.
func runBenchBatch(b *testing.B, q *Queue, batch *pipeline.Batch, svc *services) queueRun {
	b.Helper()
	ctx := context.Background()
	var run queueRun
	start := time.Now()
	if _, err := q.Submit(ctx, batch, pipeline.LoadOptions{}, nil); err != nil {
		b.Fatal(err)
	}
	run.submit = time.Since(start)
	if svc != nil {
		_, run.minioSubmitted = svc.cpu(b)
	}
	for {
		pipe := q.rdb.Pipeline()
		st := pipe.HGet(ctx, keyBatch(batch.ID), "state")
		docs := pipe.HLen(ctx, keyDocs(batch.ID))
		if _, err := pipe.Exec(ctx); err != nil {
			b.Fatal(err)
		}
		if run.docsDone.IsZero() && int(docs.Val()) == batch.Documents() {
			run.docsDone = time.Now()
			if svc != nil {
				_, run.minioDocsDone = svc.cpu(b)
			}
		}
		if s, err := state.ParseBatch(st.Val()); err != nil {
			b.Fatal(err)
		} else if s.Finished() {
			if s, err := q.Status(ctx, batch.ID); err != nil || s.State != StateComplete {
				b.Fatalf("queue run: %+v, %v", s, err)
			}
			return run
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// services names the /proc stat files of the test Redis and MinIO.
type services struct{ redis, minio string }

// findServices finds the test Redis and MinIO processes by the ports they
// listen on: the queue's share of the machine that its own process's
// figures leave out.
func findServices(b *testing.B) *services {
	b.Helper()
	svc := testenv.Get(b)
	_, redisPort, _ := strings.Cut(svc.RedisAddr, ":")
	ents, err := os.ReadDir("/proc")
	if err != nil {
		b.Fatal(err)
	}
	found := &services{}
	for _, e := range ents {
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		c := strings.ReplaceAll(string(cmd), "\x00", " ")
		stat := filepath.Join("/proc", e.Name(), "stat")
		// redis-server names itself by its address once started.
		if strings.Contains(c, "redis-server") && (strings.Contains(c, svc.RedisAddr) || strings.Contains(c, "--port "+redisPort+" ")) {
			found.redis = stat
		} else if strings.Contains(c, "minio server") && strings.Contains(c, svc.S3Endpoint+" ") {
			found.minio = stat
		}
	}
	if found.redis == "" || found.minio == "" {
		b.Fatalf("the test services (Redis at %s, MinIO at %s) not both found in /proc: %+v", svc.RedisAddr, svc.S3Endpoint, found)
	}
	return found
}

// cpu returns the CPU time (user and system) the test Redis and MinIO
// have used so far.
func (s *services) cpu(b *testing.B) (redis, minio time.Duration) {
	b.Helper()
	redis, err := procCPU(s.redis)
	if err != nil {
		b.Fatal(err)
	}
	minio, err = procCPU(s.minio)
	if err != nil {
		b.Fatal(err)
	}
	return redis, minio
}

// procCPU returns the user and system CPU time in the /proc/<pid>/stat file at name.
func procCPU(name string) (time.Duration, error) {
	st, err := os.ReadFile(name)
	if err != nil {
		return 0, err
	}
	s := string(st)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // fields from the state on: utime, stime are the 12th and 13th
	if len(f) < 13 {
		return 0, fmt.Errorf("%s: too few fields", name)
	}
	var ticks int64
	for _, v := range f[11:13] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / 100, nil // USER_HZ is 100 on Linux
}
