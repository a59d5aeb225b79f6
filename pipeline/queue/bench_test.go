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

// BenchmarkQueueOverhead runs the sample batch (testdata/batch, 4 pages in 4
// documents) through pipeline.Process on local disk and through the queue
// (submit to the inbox bucket, page, document and package tasks on Redis,
// package written to the archive bucket) side by side, three times each,
// interleaved, with the same number of workers; OCR engines and the queue
// worker are started before the clock. It reports the ratio of the wall
// times (queue/process; the target is at most 1.10) and of the CPU times
// of this process (cpu-queue/process; Redis and MinIO run apart and are not
// counted).
func BenchmarkQueueOverhead(b *testing.B) {
	const rounds = 3
	ctx := context.Background()
	batch := loadBenchBatch(b)
	// Both sides keep their OCR engines across rounds, as a long-running
	// worker does: a pool starts its engines lazily, and Tesseract's start-up
	// is not what is measured.
	pool, workerPool := benchPool(b), benchPool(b)
	var proc, procCPU, queue, queueCPU time.Duration
	b.ResetTimer()
	for i := 0; i < b.N*rounds; i++ {
		out := b.TempDir()
		start, startCPU := time.Now(), processCPU()
		_, err := pipeline.Process(ctx, batch, out, pipeline.Options{Workers: benchWorkers, Engines: pool, Languages: "vie"})
		if err != nil {
			b.Fatal(err)
		}
		proc, procCPU = proc+time.Since(start), procCPU+processCPU()-startCPU

		b.StopTimer()
		q, _, _ := newTestQueue(b)
		q.opts.Pipeline.Languages = "vie"
		srv := startBenchWorker(b, q, workerPool)
		b.StartTimer()
		start, startCPU = time.Now(), processCPU()
		runBenchBatch(b, q, batch)
		queue, queueCPU = queue+time.Since(start), queueCPU+processCPU()-startCPU
		b.StopTimer()
		srv.Shutdown()
		b.StartTimer()
	}
	n := float64(b.N * rounds)
	b.ReportMetric(proc.Seconds()/n, "process-s")
	b.ReportMetric(queue.Seconds()/n, "queue-s")
	b.ReportMetric(queue.Seconds()/proc.Seconds(), "queue/process")
	b.ReportMetric(queueCPU.Seconds()/procCPU.Seconds(), "cpu-queue/process")
}

// benchBatch makes a batch of 12 one-page documents in three hồ sơ from the
// sample pages (colour and grey, JPEG, PNG and TIFF, upright, turned and
// skewed): the per-batch costs of the queue (submit, stage hand-offs,
// packaging) weigh on it as on a small real batch, not as on a toy one.
func benchBatch(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	samples := []string{"bb-giao-nhan-p01.jpg", "cv-giao-nop-p01.png", "qd-chinh-ly-p01.jpg", "tt-so-hoa-p01.tif"}
	for round := 1; round <= 3; round++ {
		for i, name := range samples {
			data, err := os.ReadFile(filepath.Join("../../testdata/samples", name))
			if err != nil {
				b.Fatal(err)
			}
			p := filepath.Join(dir, fmt.Sprintf("H49.64.33.2025.%02d.BENCH", round), fmt.Sprint(i+1), "p1"+filepath.Ext(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	return dir
}

// loadBenchBatch loads benchBatch's batch.
func loadBenchBatch(b *testing.B) *pipeline.Batch {
	b.Helper()
	batch, err := pipeline.Load(context.Background(), benchBatch(b), pipeline.LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return batch
}

// benchPool starts a pool of benchWorkers Vietnamese OCR engines, closed when
// the benchmark ends.
func benchPool(b *testing.B) *ocr.Pool {
	b.Helper()
	pool, err := ocr.NewPool(benchWorkers, ocr.Options{Languages: "vie"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pool.Close() })
	return pool
}

// startBenchWorker starts a worker of benchWorkers on q with the engines of
// pool; the caller shuts it down.
func startBenchWorker(b *testing.B, q *Queue, pool *ocr.Pool) *asynq.Server {
	b.Helper()
	srv := asynq.NewServerFromRedisClient(q.Redis(), q.ServerConfig(benchWorkers))
	if err := srv.Start(q.Handler(pool)); err != nil {
		b.Fatal(err)
	}
	return srv
}

// runBenchBatch submits batch to q and waits until it is finished; it fails
// the benchmark unless the batch is complete.
func runBenchBatch(b *testing.B, q *Queue, batch *pipeline.Batch) {
	b.Helper()
	ctx := context.Background()
	if _, err := q.Submit(ctx, batch, pipeline.LoadOptions{}, nil); err != nil {
		b.Fatal(err)
	}
	for {
		s, err := q.Status(ctx, batch.ID)
		if err != nil {
			b.Fatal(err)
		}
		if s.Finished() {
			if s.State != StateComplete {
				b.Fatalf("queue run: %+v", s)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
