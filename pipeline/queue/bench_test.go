package queue

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline"
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
// batch took after its last document was done (tail-s: packaging).
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
	var proc, procCPU, queue, queueCPU, submit, tail time.Duration
	b.ResetTimer()
	for i := 0; i < b.N*rounds; i++ {
		out := b.TempDir()
		start, startCPU := time.Now(), processCPU()
		_, err := pipeline.Process(ctx, batch, out, pipeline.Options{Workers: workers, Engines: pool, Languages: "vie"})
		if err != nil {
			b.Fatal(err)
		}
		proc, procCPU = proc+time.Since(start), procCPU+processCPU()-startCPU

		b.StopTimer()
		q, _, _ := newTestQueue(b)
		q.opts.Pipeline.Languages = "vie"
		srv := startBenchWorker(b, q, workerPool, workers)
		b.StartTimer()
		start, startCPU = time.Now(), processCPU()
		took, docsDone := runBenchBatch(b, q, batch)
		submit += took
		queue, queueCPU = queue+time.Since(start), queueCPU+processCPU()-startCPU
		tail += time.Since(docsDone)
		b.StopTimer()
		srv.Shutdown()
		b.StartTimer()
	}
	n := float64(b.N * rounds)
	b.ReportMetric(proc.Seconds()/n, "process-s")
	b.ReportMetric(queue.Seconds()/n, "queue-s")
	b.ReportMetric(submit.Seconds()/n, "submit-s")
	b.ReportMetric(tail.Seconds()/n, "tail-s")
	b.ReportMetric(queue.Seconds()/proc.Seconds(), "queue/process")
	b.ReportMetric(queueCPU.Seconds()/procCPU.Seconds(), "cpu-queue/process")
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

// runBenchBatch submits batch to q and waits until it is finished; it fails
// the benchmark unless the batch is complete. It returns how long Submit
// took and when the last document was done (what follows is packaging).
func runBenchBatch(b *testing.B, q *Queue, batch *pipeline.Batch) (submit time.Duration, docsDone time.Time) {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	if _, err := q.Submit(ctx, batch, pipeline.LoadOptions{}, nil); err != nil {
		b.Fatal(err)
	}
	submit = time.Since(start)
	for {
		s, err := q.Status(ctx, batch.ID)
		if err != nil {
			b.Fatal(err)
		}
		if docsDone.IsZero() && s.DocumentsDone+s.DocumentsFailed == s.Documents {
			docsDone = time.Now()
		}
		if s.Finished() {
			if s.State != StateComplete {
				b.Fatalf("queue run: %+v", s)
			}
			return submit, docsDone
		}
		time.Sleep(10 * time.Millisecond)
	}
}
