package server

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
)

// lowWordConfidence is the word confidence (0..100) under which the review
// screen marks a word: ocr.LowWordConfidence, the threshold under which the
// page's low-confidence flag counts a word (ocr.Signals).
const lowWordConfidence = ocr.LowWordConfidence

// reviewWidth is the width of the page rendering the review screen loads
// first; zooming in loads larger ones, up to full resolution.
const reviewWidth = 1200

// reviewDocView is the review screen of one document.
type reviewDocView struct {
	Batch     string
	Summary   *BatchSummary
	Doc       *queue.DocumentDetail
	Fields    []queue.FieldView
	Pages     []reviewPage
	Threshold int
	Review    *reviewDocState // the document's review, nil when the batch is not under review
	Replaced  bool            // a page's new scan was just taken
}

// reviewDocState is where a document stands in its batch's review.
type reviewDocState struct {
	Review  string // unreviewed, accepted or rejected
	Sampled bool   // a reviewer must accept it before the batch is approved
	Flagged bool
	Reason  string // why it was rejected
	Open    bool   // the batch is in review: the forms act
	// Corrected holds the value before the reviewer's correction, by field tag.
	Corrected map[string]string
}

// docReview returns document doc's review in plan (nil when it is not in the
// plan) and applies its corrections to fields: the corrected value replaces
// the catalogue's, and a mismatch the correction resolved is no longer one.
func docReview(plan queue.ReviewPlan, doc int, fields []queue.FieldView) *reviewDocState {
	for _, d := range plan.Documents {
		if d.Doc != doc {
			continue
		}
		rs := &reviewDocState{Review: d.Review.String(), Sampled: d.Sampled, Flagged: d.Flagged, Reason: d.Reason,
			Open: plan.State.Reviewable(), Corrected: map[string]string{}}
		for _, c := range d.Corrections {
			for i := range fields {
				if f := &fields[i]; f.Tag == c.Field {
					if _, ok := rs.Corrected[f.Tag]; !ok {
						rs.Corrected[f.Tag] = f.Catalogue
					}
					f.Catalogue = c.After
					f.Mismatch = f.Mismatch && f.Page != c.After
				}
			}
		}
		return rs
	}
	return nil
}

// reviewPage is one page of the review screen: its image and its OCR text by line.
type reviewPage struct {
	*queue.PageDetail
	Lines [][]reviewWord
	Low   int // words under the threshold
}

// reviewWord is one OCR word, marked when its confidence is under lowWordConfidence.
type reviewWord struct {
	Text string
	Conf int
	Low  bool
}

// pageWords returns a done page's OCR words, read once however many ask.
func (s *Server) pageWords(ctx context.Context, id string, round, doc, page int) ([]ocr.Word, error) {
	return s.caches.words.Get(pageCacheKey(id, round, doc, page), func() ([]ocr.Word, error) {
		return s.q.PageWords(context.WithoutCancel(ctx), id, doc, page)
	})
}

// lines groups words by their OCR line, marking the low-confidence ones.
func lines(words []ocr.Word) (out [][]reviewWord, low int) {
	last := -1
	for _, w := range words {
		if w.Line != last || len(out) == 0 {
			out = append(out, nil)
			last = w.Line
		}
		rw := reviewWord{Text: w.Text, Conf: int(w.Confidence + 0.5), Low: w.Confidence < lowWordConfidence}
		if rw.Low {
			low++
		}
		out[len(out)-1] = append(out[len(out)-1], rw)
	}
	return out, low
}

// reviewDocPage shows document {doc} of batch {id} for review: each page
// large with zoom and pan, its OCR text with the low-confidence words
// marked, its flags, and the metadata as the catalogue gives it beside what
// the page reads, mismatches highlighted; with the review's forms for the
// roles that may review. Secret documents (mode 03) are refused as by the API.
func (s *Server) reviewDocPage(w http.ResponseWriter, r *http.Request, who *principal) {
	id, round, doc, ok := s.docParam(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	sum, err := s.summary(ctx, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := reviewDocView{Batch: id, Summary: sum, Doc: doc, Threshold: lowWordConfidence, Replaced: r.URL.Query().Get("done") == "replace"}
	fields, err := s.docFields(ctx, id, doc.Doc)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	for _, pg := range doc.Pages {
		rp := reviewPage{PageDetail: pg}
		if pg.State == queue.PageDone {
			words, err := s.pageWords(ctx, id, round, doc.Doc, pg.Page)
			if err != nil {
				s.pageError(w, r, err)
				return
			}
			rp.Lines, rp.Low = lines(words)
		}
		v.Pages = append(v.Pages, rp)
	}
	v.Fields = slices.Clone(fields) // docReview applies the corrections to this copy
	plan, err := s.reviewPlan(ctx, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v.Review = docReview(plan, doc.Doc, v.Fields)

	s.render(w, r, "review", http.StatusOK, page{Who: who, Data: v, Error: r.URL.Query().Get("error")})
}

// pageError answers a dashboard request that failed with the error's status and its text.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	code, _ := errStatus(err)
	if code >= 500 {
		s.log.Error("dashboard", "path", r.URL.Path, "error", err)
	}
	http.Error(w, err.Error(), code)
}

// docPath is the dashboard path of document doc of batch id, with suffix.
func docPath(id string, doc int, suffix string) string {
	return "/batches/" + url.PathEscape(id) + "/documents/" + strconv.Itoa(doc) + suffix
}
