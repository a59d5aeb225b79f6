package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/copies"
	"github.com/sohoa-vn/sohoa/storage/s3"
	"github.com/sohoa-vn/sohoa/storage/s3/s3test"
)

// BenchmarkSecondCopy runs the benchmark batch (benchBatch: 12 one-page
// documents) through the queue with the archive alone and with a second copy
// on another MinIO server (the replicate step: every package object copied,
// its SHA-256 verified in the copy), twice each, interleaved, with the same
// workers and engines. It reports the ratio of the wall times from submit to
// complete (two-copies/one-copy; the target is at most 1.10).
func BenchmarkSecondCopy(b *testing.B) {
	const rounds = 2
	ctx := context.Background()
	batch := loadBenchBatch(b, 12)
	pool := benchPool(b, benchWorkers)
	m := s3test.Start(b)
	run := func(withCopy bool) time.Duration {
		b.StopTimer()
		q, _, _ := newTestQueue(b)
		q.opts.Pipeline.Languages = "vie"
		if withCopy {
			var rnd [4]byte
			rand.Read(rnd[:])
			cs, err := s3.New(ctx, s3.Config{Endpoint: m.Addr, Bucket: "copy-" + hex.EncodeToString(rnd[:]),
				AccessKey: s3test.AccessKey, SecretKey: s3test.SecretKey})
			if err != nil {
				b.Fatal(err)
			}
			q.opts.Copies = []copies.Copy{{Name: "ban-sao-1", Store: cs}}
		}
		srv := startBenchWorker(b, q, pool, benchWorkers)
		defer srv.Shutdown()
		b.StartTimer()
		start := time.Now()
		runBenchBatch(b, q, batch, nil)
		return time.Since(start)
	}
	var one, two time.Duration
	b.ResetTimer()
	for i := 0; i < b.N*rounds; i++ {
		one += run(false)
		two += run(true)
	}
	n := float64(b.N * rounds)
	b.ReportMetric(one.Seconds()/n, "one-copy-s")
	b.ReportMetric(two.Seconds()/n, "two-copies-s")
	b.ReportMetric(two.Seconds()/one.Seconds(), "two/one")
}
