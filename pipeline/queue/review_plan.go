package queue

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/sohoa-vn/sohoa/pipeline/state"
)

// ReviewPlan returns batch id's review: every document with its processing
// and review state, flags, mismatches and corrections, which documents are
// sampled (Sampled with ReviewOptions.Sample), the counts of the inspection
// record, and whether the batch can be approved now.
func (q *Queue) ReviewPlan(ctx context.Context, id string) (ReviewPlan, error) {
	d, err := q.Detail(ctx, id)
	if err != nil {
		return ReviewPlan{}, err
	}
	pipe := q.rdb.Pipeline()
	flags := pipe.HGetAll(ctx, keyFlags(id))
	reviews := pipe.HGetAll(ctx, keyReview(id))
	reasons := pipe.HGetAll(ctx, keyRejections(id))
	if _, err := pipe.Exec(ctx); err != nil {
		return ReviewPlan{}, fmt.Errorf("review %s: %w", id, err)
	}
	cs, err := q.corrections(ctx, id)
	if err != nil {
		return ReviewPlan{}, err
	}
	superseded, err := q.superseded(ctx, id)
	if err != nil {
		return ReviewPlan{}, err
	}
	p := ReviewPlan{Batch: id, State: d.Status.State, Sample: q.opts.Review.Sample, Corrections: cs}
	p.Counts.Files, p.Counts.Replaced = len(d.Files), len(superseded)
	corrected := map[int]bool{}
	for _, c := range cs {
		corrected[c.Doc] = true
	}
	p.Counts.Corrected = len(corrected)
	for _, fd := range d.Files {
		for _, dd := range fd.Documents {
			rd := ReviewDoc{Doc: dd.Doc, Code: dd.Code, Source: dd.Source, Title: dd.Title, State: dd.State,
				Mismatches: dd.Mismatches, Reason: reasons.Val()[strconv.Itoa(dd.Doc)]}
			if rd.Review, err = state.ParseReview(reviews.Val()[strconv.Itoa(dd.Doc)]); err != nil {
				return ReviewPlan{}, fmt.Errorf("review %s: document %d: %w", id, dd.Doc, err)
			}
			for _, pd := range dd.Pages {
				if v, ok := flags.Val()[pageRef{dd.Doc, pd.Page}.String()]; ok {
					if rd.Flags == nil {
						rd.Flags = map[int][]string{}
					}
					rd.Flags[pd.Page] = strings.Split(v, ",")
				}
			}
			for _, c := range cs {
				if c.Doc == dd.Doc {
					rd.Corrections = append(rd.Corrections, c)
				}
			}
			rd.Flagged = len(rd.Flags) > 0 || len(rd.Mismatches) > 0 || dd.State == state.DocFailed
			rd.Sampled = Sampled(id, dd.Doc, rd.Flagged, p.Sample)
			p.add(rd, len(dd.Pages))
		}
	}
	p.Approvable = p.State == state.BatchReview && p.allAccepted()
	return p, nil
}

// add appends document rd, of n pages, and counts it.
func (p *ReviewPlan) add(rd ReviewDoc, n int) {
	p.Documents = append(p.Documents, rd)
	p.Counts.Documents++
	p.Counts.Pages += n
	if rd.Sampled {
		p.Counts.Sampled++
	}
	switch rd.Review {
	case state.ReviewAccepted:
		p.Counts.Accepted++
	case state.ReviewRejected:
		p.Counts.Rejected++
	}
}

// allAccepted reports whether every sampled document is accepted.
func (p *ReviewPlan) allAccepted() bool {
	for _, d := range p.Documents {
		if d.Sampled && d.Review != state.ReviewAccepted {
			return false
		}
	}
	return true
}
