// Package metrics keeps the workers' page and stage metrics in Redis, where
// every worker adds to the same counters and histograms, and exposes them,
// with the batches by state, as a Prometheus collector for "sohoa serve".
//
// Keeping the figures in Redis, rather than in each worker process, gives one
// scrape target for any number of workers, and the counts survive worker
// restarts. A page costs one pipelined Redis round trip, against seconds of OCR.
package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
)

// key is the Redis hash holding every figure.
const key = "sohoa:metrics"

// Histogram buckets.
var (
	// StageBuckets are the upper bounds, in seconds, of the stage duration histograms.
	StageBuckets = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}
	// ConfidenceBuckets are the upper bounds of the OCR mean confidence histogram (0-100).
	ConfidenceBuckets = []float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 100}
)

// Stages are the stages timed, as reported in the stage label.
var Stages = []string{pipeline.StageDecode, pipeline.StageNormalize, pipeline.StageOCR, pipeline.StageEncode, pipeline.StagePDF, queue.StageUpload}

// Recorder adds the workers' figures to Redis. It implements queue.Observer.
type Recorder struct {
	rdb redis.UniversalClient
	log *slog.Logger
}

// NewRecorder returns a Recorder writing to rdb; failures to record are logged to log.
func NewRecorder(rdb redis.UniversalClient, log *slog.Logger) *Recorder {
	return &Recorder{rdb: rdb, log: log}
}

func observe(pipe redis.Pipeliner, ctx context.Context, name string, buckets []float64, v float64) {
	for _, b := range buckets {
		if v <= b {
			pipe.HIncrBy(ctx, key, name+":le:"+strconv.FormatFloat(b, 'g', -1, 64), 1)
			break
		}
	}
	pipe.HIncrBy(ctx, key, name+":count", 1)
	pipe.HIncrByFloat(ctx, key, name+":sum", v)
}

func (r *Recorder) exec(pipe redis.Pipeliner, ctx context.Context) {
	if _, err := pipe.Exec(ctx); err != nil {
		r.log.Warn("recording metrics", "error", err)
	}
}

// PageDone counts a processed page with its stage timings and OCR confidence.
func (r *Recorder) PageDone(ctx context.Context, res *pipeline.PageResult) {
	pipe := r.rdb.Pipeline()
	pipe.HIncrBy(ctx, key, "pages:processed", 1)
	t := res.Timings
	for st, d := range map[string]time.Duration{pipeline.StageDecode: t.Decode, pipeline.StageNormalize: t.Normalize,
		pipeline.StageOCR: t.OCR, pipeline.StageEncode: t.Encode} {
		observe(pipe, ctx, "stage:"+st, StageBuckets, d.Seconds())
	}
	if res.OCR != nil {
		observe(pipe, ctx, "confidence", ConfidenceBuckets, res.OCR.MeanConfidence)
	}
	for _, f := range res.Flags {
		pipe.HIncrBy(ctx, key, "flag:"+f, 1)
	}
	r.exec(pipe, ctx)
}

// PageFailed counts a page that failed for good in stage.
func (r *Recorder) PageFailed(ctx context.Context, stage string) {
	pipe := r.rdb.Pipeline()
	pipe.HIncrBy(ctx, key, "failed:"+stage, 1)
	r.exec(pipe, ctx)
}

var _ queue.Observer = (*Recorder)(nil)

// Stage records the duration of a stage run outside ProcessPage.
func (r *Recorder) Stage(ctx context.Context, stage string, d time.Duration) {
	pipe := r.rdb.Pipeline()
	observe(pipe, ctx, "stage:"+stage, StageBuckets, d.Seconds())
	r.exec(pipe, ctx)
}

// StateCounter counts batches by state, for the batches gauge.
type StateCounter func(ctx context.Context) (map[string]int, error)

// Collector is a prometheus.Collector of the figures in Redis and of the batches by state.
type Collector struct {
	rdb    redis.UniversalClient
	states StateCounter
	log    *slog.Logger

	pages, failed, flags, batches, stage, conf *prometheus.Desc
}

// NewCollector returns a Collector reading rdb; states, when set, counts the batches by state.
func NewCollector(rdb redis.UniversalClient, states StateCounter, log *slog.Logger) *Collector {
	return &Collector{rdb: rdb, states: states, log: log,
		pages:   prometheus.NewDesc("sohoa_pages_processed_total", "Pages processed by the workers.", nil, nil),
		failed:  prometheus.NewDesc("sohoa_pages_failed_total", "Pages that failed for good, by failed stage.", []string{"stage"}, nil),
		flags:   prometheus.NewDesc("sohoa_pages_flagged_total", "Pages flagged for review, by flag.", []string{"flag"}, nil),
		batches: prometheus.NewDesc("sohoa_batches", "Submitted batches by state.", []string{"state"}, nil),
		stage:   prometheus.NewDesc("sohoa_stage_duration_seconds", "Duration of a pipeline stage for one page (pdf: one document).", []string{"stage"}, nil),
		conf:    prometheus.NewDesc("sohoa_ocr_confidence", "Mean OCR word confidence of a page (0-100).", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.pages, c.failed, c.flags, c.batches, c.stage, c.conf} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h, err := c.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		c.log.Warn("metrics: reading Redis", "error", err)
		ch <- prometheus.NewInvalidMetric(c.pages, err)
		return
	}
	num := func(k string) float64 { v, _ := strconv.ParseFloat(h[k], 64); return v }
	ch <- prometheus.MustNewConstMetric(c.pages, prometheus.CounterValue, num("pages:processed"))
	for k := range h {
		if st, ok := strings.CutPrefix(k, "failed:"); ok {
			ch <- prometheus.MustNewConstMetric(c.failed, prometheus.CounterValue, num(k), st)
		}
		if f, ok := strings.CutPrefix(k, "flag:"); ok {
			ch <- prometheus.MustNewConstMetric(c.flags, prometheus.CounterValue, num(k), f)
		}
	}
	hist := func(name string, buckets []float64) (uint64, float64, map[float64]uint64) {
		cum := map[float64]uint64{}
		var n uint64
		for _, b := range buckets {
			n += uint64(num(name + ":le:" + strconv.FormatFloat(b, 'g', -1, 64)))
			cum[b] = n
		}
		return uint64(num(name + ":count")), num(name + ":sum"), cum
	}
	for _, st := range Stages {
		n, sum, cum := hist("stage:"+st, StageBuckets)
		ch <- prometheus.MustNewConstHistogram(c.stage, n, sum, cum, st)
	}
	n, sum, cum := hist("confidence", ConfidenceBuckets)
	ch <- prometheus.MustNewConstHistogram(c.conf, n, sum, cum)
	if c.states == nil {
		return
	}
	states, err := c.states(ctx)
	if err != nil {
		c.log.Warn("metrics: batches", "error", err)
		ch <- prometheus.NewInvalidMetric(c.batches, fmt.Errorf("batches: %w", err))
		return
	}
	for st, n := range states {
		ch <- prometheus.MustNewConstMetric(c.batches, prometheus.GaugeValue, float64(n), st)
	}
}
