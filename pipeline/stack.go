package pipeline

import (
	"fmt"

	"github.com/sohoa-vn/sohoa/pipeline/fields"
)

// Ways a stack was split.
const (
	SplitByPage      = "page"      // at first pages detected on the pages
	SplitByCatalogue = "catalogue" // at the first pages the catalogue gives (firstPages)
)

// Split records how a document was cut out of a stack.
type Split struct {
	Stack    string           `json:"stack"` // the stack's source (the hồ sơ folder)
	Pages    []int            `json:"pages"` // the document's pages in the stack, 1-based
	By       string           `json:"by"`    // SplitByPage or SplitByCatalogue
	Evidence *fields.Evidence `json:"evidence,omitempty"`
}

// SplitStack cuts the stack d of f, whose pages are processed into results, into
// documents: at the first pages the catalogue gives (f.Meta.FirstPages), or else at
// those detected on the pages (fields.Split). Each document takes the catalogue's
// metadata for its ordinal and records its Split; results are cut the same way.
func SplitStack(f *File, d *Document, results []*PageResult) ([]*Document, [][]*PageResult, []int) {
	pages := make([]fields.Page, len(results))
	for i, r := range results {
		pages[i] = fieldPage(r)
	}
	by := SplitByCatalogue
	firsts := f.Meta.FirstPages
	evidence := make([]*fields.Evidence, len(results)+1)
	for i, p := range pages {
		e := fields.FirstPage(p)
		evidence[i+1] = &e
	}
	if len(firsts) == 0 {
		by = SplitByPage
		firsts, _ = fields.Split(pages)
	}
	var parts []*Document
	var partResults [][]*PageResult
	for k, first := range firsts {
		end := len(results)
		if k+1 < len(firsts) {
			end = firsts[k+1] - 1
		}
		ordinal := k + 1
		meta := DocMeta{DocOrdinal: ordinal}
		if m, ok := f.stackMetas[ordinal]; ok {
			meta = *m
		}
		if meta.DocCode == "" {
			meta.DocCode = DocCode(f.Meta.FileCode, ordinal)
		}
		for _, v := range []struct {
			dst *string
			def string
		}{{&meta.Mode, f.Meta.Mode}, {&meta.Language, f.Meta.Language}, {&meta.ConfidenceLevel, f.Meta.ConfidenceLevel}} {
			if *v.dst == "" {
				*v.dst = v.def
			}
		}
		part := &Document{Meta: meta, Source: fmt.Sprintf("%s#%d-%d", d.Source, first, end)}
		part.Split = &Split{Stack: d.Source, By: by, Evidence: evidence[first]}
		var rs []*PageResult
		for i := first; i <= end; i++ {
			pg := *d.Pages[i-1]
			pg.Index = i - first + 1
			part.Pages = append(part.Pages, &pg)
			part.Split.Pages = append(part.Split.Pages, i)
			r := *results[i-1]
			r.Page = &pg
			rs = append(rs, &r)
		}
		parts = append(parts, part)
		partResults = append(partResults, rs)
	}
	return parts, partResults, firsts
}

// addStack splits the stack d once all its pages are processed and adds each of its
// documents; a stack with a failed page is added whole, and fails.
func (p *Packager) addStack(f *File, d *Document, results []*PageResult, errs []error) ([]*Document, [][]*PageResult, bool) {
	for _, e := range errs {
		if e != nil {
			return nil, nil, false
		}
	}
	parts, rs, firsts := SplitStack(f, d, results)
	p.rec.split(f, d, parts, firsts)
	p.rep.Documents += len(parts) - 1
	return parts, rs, true
}
