package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/state"
)

// The package task downloads the stored results of a run of up to
// packageGets documents at once, ahead of adding them to the package in batch
// order: the downloads wait on round trips to the work store. A run ends
// once it holds packagePages pages, so that no more than about that many
// pages' results are in memory together (a longer document is a run of its own,
// held whole as when it is added alone).
const (
	packageGets  = 16
	packagePages = 16
)

// docInputs are the stored results of one document, as the package takes them.
type docInputs struct {
	results []*pipeline.PageResult
	errs    []error
	out     *pipeline.DocumentOutput // nil: none stored (failed, a stack, or corrected)
}

// addDocuments adds the batch's documents (docStatus: their status; fixed:
// those a reviewer corrected) to the package in batch order, downloading
// their results a run of documents at a time (packageGets, packagePages),
// and storing their stored PDF, text and ALTO into the archive through early.
func (q *Queue) addDocuments(ctx context.Context, pk *pipeline.Packager, id string, docStatus map[int]state.DocStatus, fixed map[int]bool, m *meta, b *pipeline.Batch, early *earlyPuts) error {
	fails, err := q.pageFailures(ctx, id)
	if err != nil {
		return err
	}
	docs := documents(b)
	for start, end := 0, 0; start < len(docs); start = end {
		for pages := 0; end < len(docs) && end-start < packageGets && pages < packagePages; end++ {
			pages += len(docs[end].d.Pages)
		}
		in := make([]*docInputs, end-start)
		g, gctx := errgroup.WithContext(ctx)
		for i := start; i < end; i++ {
			if len(docs[i].d.Pages) == 0 {
				continue // as in Process
			}
			g.Go(func() (err error) {
				in[i-start], err = q.documentInputs(gctx, id, m, i, docs[i], docStatus[i], fixed[i], fails, early)
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		for i := start; i < end; i++ {
			if in[i-start] == nil {
				continue
			}
			if err := q.addDocument(ctx, pk, id, i, docs[i], docStatus[i], fixed[i], in[i-start], m, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// documentInputs takes the stored results of document i of batch id as m
// describes it, whose status is st, with its pages' failures from fails
// (pageFailures); not the document's PDF, text and ALTO when corrected (made
// again). Those this worker kept when it stored them are read here, the
// others downloaded (workObject), at once: each waits on a round trip to the
// store. The PDF, text and ALTO are stored through early under the keys they
// will have in the package: if the package fails the document, archive
// deletes them.
func (q *Queue) documentInputs(ctx context.Context, id string, m *meta, i int, dr docRef, st state.DocStatus, corrected bool, fails map[string]string, early *earlyPuts) (*docInputs, error) {
	in := &docInputs{results: make([]*pipeline.PageResult, len(dr.d.Pages)), errs: make([]error, len(dr.d.Pages))}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(packagePages)
	for k, pg := range dr.d.Pages {
		g.Go(func() (err error) {
			in.results[k], in.errs[k], err = q.loadPage(gctx, id, m, i, pg, fails)
			return err
		})
	}
	if st.State == state.DocDone && !dr.d.Stack && !corrected {
		in.out = &pipeline.DocumentOutput{}
		code, ord := dr.f.Meta.FileCode, dr.d.Meta.DocOrdinal
		for ext, f := range map[string]struct {
			dst  *[]byte
			name string
		}{"pdf": {&in.out.PDF, pipeline.PDFName(code, ord)}, "txt": {&in.out.Text, pipeline.TextName(code, ord)}, "alto.xml": {&in.out.ALTO, pipeline.ALTOName(code, ord)}} {
			g.Go(func() error {
				data, err := q.workObject(gctx, id, m, docKey(id, i, ext))
				if err != nil {
					return err
				}
				*f.dst = data
				sum := sha256.Sum256(data)
				early.putData(path.Join(id, bag.PayloadDir, code, f.name), hex.EncodeToString(sum[:]), data)
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return in, nil
}

// addDocument adds document i of batch id, whose status is st and whose
// stored results are in, to the package; a corrected one with its PDF made
// again (correctedOutput).
func (q *Queue) addDocument(ctx context.Context, pk *pipeline.Packager, id string, i int, dr docRef, st state.DocStatus, corrected bool, in *docInputs, m *meta, b *pipeline.Batch) error {
	if st.State == state.DocFailed && !slices.ContainsFunc(in.errs, func(e error) bool { return e != nil }) {
		// The document failed after its pages (its task ran out of
		// retries, or its PDF could not be made): fail it in the package
		// too rather than build it here.
		in.errs[0] = errors.New(st.Reason)
	}
	if st.State == state.DocDone && !dr.d.Stack && corrected {
		var err error
		if in.out, err = q.correctedOutput(ctx, id, i, dr, in.results, m, b); err != nil {
			return err
		}
	}
	return pk.AddDocument(ctx, dr.f, dr.d, in.results, in.errs, in.out)
}
