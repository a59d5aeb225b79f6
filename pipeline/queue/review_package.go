package queue

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/storage"
)

// correctedBatch returns batch b (id) with the reviewers' corrections
// applied to its documents' metadata, and the numbers of the documents
// corrected. With corrections it is a copy of b down to the documents: the
// cached batch is left as it was.
func (q *Queue) correctedBatch(ctx context.Context, id string, b *pipeline.Batch) (*pipeline.Batch, map[int]bool, error) {
	cs, err := q.corrections(ctx, id)
	if err != nil || len(cs) == 0 {
		return b, nil, err
	}
	nb := copyDocuments(b)
	docs := documents(nb)
	fixed := map[int]bool{}
	for _, c := range cs {
		if c.Doc < 0 || c.Doc >= len(docs) {
			return nil, nil, fmt.Errorf("batch %s: correction of document %d: %w", id, c.Doc, ErrUnknownDocument)
		}
		if _, err := pipeline.CorrectField(docs[c.Doc].f.Meta.FileCode, &docs[c.Doc].d.Meta, c.Field, c.After); err != nil {
			return nil, nil, fmt.Errorf("batch %s: document %d: correction: %w", id, c.Doc, err)
		}
		fixed[c.Doc] = true
	}
	return nb, fixed, nil
}

// correctedOutput returns the PDF, text and ALTO of document i of batch id
// made again with its corrected metadata (in the PDF's XMP and signature).
// They are made once per set of corrections and of pages, and kept in the work store, so
// that every delivery of the package task writes the same package.
func (q *Queue) correctedOutput(ctx context.Context, id string, i int, dr docRef, results []*pipeline.PageResult, m *meta, b *pipeline.Batch) (*pipeline.DocumentOutput, error) {
	js, err := json.Marshal(dr.d.Meta)
	if err != nil {
		return nil, err
	}
	key := func(ext string) string {
		// The version changes with every Replace: new pages, a new PDF.
		return fmt.Sprintf("%s/docs/%d/reviewed-v%d-%x.%s", id, i, m.version, sha256.Sum256(js), ext)
	}
	out := &pipeline.DocumentOutput{}
	files := []struct {
		ext string
		dst *[]byte
	}{{"pdf", &out.PDF}, {"txt", &out.Text}, {"alto.xml", &out.ALTO}}
	if _, err := getAll(ctx, q.stores.Work, key("alto.xml")); errors.Is(err, storage.ErrNotExist) {
		made, err := pipeline.MakeDocument(ctx, b, dr.f, dr.d, results, q.opts.Pipeline.DocumentOptions(m.submitted))
		if err != nil {
			return nil, fmt.Errorf("document %s: with its corrections: %w", dr.d.Source, err)
		}
		for _, f := range []struct {
			ext  string
			data []byte
		}{{"pdf", made.PDF}, {"txt", made.Text}, {"alto.xml", made.ALTO}} { // ALTO last: it marks the set stored
			if err := putOnce(ctx, q.stores.Work, key(f.ext), f.data); err != nil {
				return nil, err
			}
		}
	} else if err != nil {
		return nil, err
	}
	for _, f := range files {
		if *f.dst, err = getAll(ctx, q.stores.Work, key(f.ext)); err != nil {
			return nil, err
		}
	}
	return out, nil
}
