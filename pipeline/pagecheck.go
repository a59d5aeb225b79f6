package pipeline

import (
	"errors"
	"runtime"
	"strings"

	"github.com/sohoa-vn/sohoa/pipeline/scan"
)

// pageBudget is the per-page bound on decoded size that Load applies.
func (o LoadOptions) pageBudget() int64 {
	switch {
	case o.PageBudget < 0:
		return 0
	case o.PageBudget > 0:
		return o.PageBudget
	}
	return scan.PageBudget(scan.Memory(), runtime.NumCPU())
}

// headerProblem turns a failure to read a page file's headers into the
// validation problem that names the file (and the page of a multi-page TIFF).
func headerProblem(rel string, err error) Problem {
	p := Problem{File: rel, What: err.Error()}
	var pe *scan.PageError
	if errors.As(err, &pe) {
		p.Page = pe.Page
		// The message without its "scan: name page N: " prefix, which Problem repeats.
		p.What = pe.Err.Error()
	}
	p.What = strings.TrimSpace(p.What) + ": the file cannot be read as a page image; scan or export it again"
	return p
}
