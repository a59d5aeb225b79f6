package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
)

// TestRecorderCollector: figures recorded by two workers come out of one collector.
func TestRecorderCollector(t *testing.T) {
	rdb := testenv.Redis(t)
	log := slog.New(slog.DiscardHandler)
	w1, w2 := NewRecorder(rdb, log), NewRecorder(rdb, log)
	ctx := context.Background()
	w1.PageDone(ctx, &pipeline.PageResult{Timings: pipeline.Timings{Decode: 20 * time.Millisecond, OCR: 3 * time.Second},
		OCR: &ocr.Result{MeanConfidence: 91}, Flags: []string{pipeline.FlagBlank}})
	w2.PageDone(ctx, &pipeline.PageResult{Timings: pipeline.Timings{OCR: 7 * time.Second}, OCR: &ocr.Result{MeanConfidence: 45}})
	w2.PageFailed(ctx, pipeline.StageDecode)
	w1.Stage(ctx, pipeline.StagePDF, 400*time.Millisecond)

	c := NewCollector(rdb, func(context.Context) (map[string]int, error) { return map[string]int{"complete": 3}, nil }, log)
	want := `
# HELP sohoa_pages_processed_total Pages processed by the workers.
# TYPE sohoa_pages_processed_total counter
sohoa_pages_processed_total 2
# HELP sohoa_pages_failed_total Pages that failed for good, by failed stage.
# TYPE sohoa_pages_failed_total counter
sohoa_pages_failed_total{stage="decode"} 1
# HELP sohoa_pages_flagged_total Pages flagged for review, by flag.
# TYPE sohoa_pages_flagged_total counter
sohoa_pages_flagged_total{flag="blank"} 1
# HELP sohoa_batches Submitted batches by state.
# TYPE sohoa_batches gauge
sohoa_batches{state="complete"} 3
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "sohoa_pages_processed_total", "sohoa_pages_failed_total",
		"sohoa_pages_flagged_total", "sohoa_batches"); err != nil {
		t.Error(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			h := m.GetHistogram()
			if h == nil {
				continue
			}
			label := ""
			if len(m.GetLabel()) > 0 {
				label = m.GetLabel()[0].GetValue()
			}
			got := fmt.Sprintf("%s{%s} n=%d sum=%.2f", mf.GetName(), label, h.GetSampleCount(), h.GetSampleSum())
			seen[mf.GetName()+"/"+label]++
			switch mf.GetName() + "/" + label {
			case "sohoa_stage_duration_seconds/ocr":
				if h.GetSampleCount() != 2 || h.GetSampleSum() != 10 || h.GetBucket()[7].GetCumulativeCount() != 1 { // le 5
					t.Errorf("%s, buckets %v", got, h.GetBucket())
				}
			case "sohoa_stage_duration_seconds/pdf":
				if h.GetSampleCount() != 1 {
					t.Error(got)
				}
			case "sohoa_ocr_confidence/":
				if h.GetSampleCount() != 2 || h.GetSampleSum() != 136 {
					t.Error(got)
				}
			}
		}
	}
	// Each histogram checked above must be there, once: a missing one is a failure, not a pass.
	for _, name := range []string{"sohoa_stage_duration_seconds/ocr", "sohoa_stage_duration_seconds/pdf", "sohoa_ocr_confidence/"} {
		if seen[name] != 1 {
			t.Errorf("histogram %s gathered %d times, want once", name, seen[name])
		}
	}
}
