// Retry plans: the tasks Retry and Replace record in Redis (keyRetry) before
// enqueueing them, as typed values with one text form.

package queue

import (
	"fmt"
	"strconv"
	"strings"
)

// stepKind is what one step of a retry plan does.
type stepKind int

const (
	stepPage     stepKind = iota // run page task (doc, page) again
	stepDoc                      // run document task doc again
	stepBatch                    // run the batch task again
	stepPackage                  // run the package task again
	stepDropPage                 // delete page (doc, page)'s stored result first (Replace)
	stepDropDoc                  // delete document doc's stored PDF, text and ALTO first (Replace)
)

// stepNames are the kinds' names in the text form, and how many numbers follow each.
var stepNames = []struct {
	name string
	nums int
}{
	stepPage:     {"page", 2},
	stepDoc:      {"doc", 1},
	stepBatch:    {"batch", 0},
	stepPackage:  {"package", 0},
	stepDropPage: {"drop page", 2},
	stepDropDoc:  {"drop doc", 1},
}

// step is one step of a retry plan.
type step struct {
	kind      stepKind
	doc, page int // for the kinds that name them
}

func pageStep(d, p int) step     { return step{kind: stepPage, doc: d, page: p} }
func docStep(d int) step         { return step{kind: stepDoc, doc: d} }
func dropPageStep(d, p int) step { return step{kind: stepDropPage, doc: d, page: p} }
func dropDocStep(d int) step     { return step{kind: stepDropDoc, doc: d} }

// String returns the step's text form, as stored in Redis: "page 2 5",
// "doc 2", "batch", "package", "drop page 2 5", "drop doc 2".
func (s step) String() string {
	n := stepNames[s.kind]
	switch n.nums {
	case 2:
		return fmt.Sprintf("%s %d %d", n.name, s.doc, s.page)
	case 1:
		return fmt.Sprintf("%s %d", n.name, s.doc)
	}
	return n.name
}

// parseStep reads a step in the form String writes.
func parseStep(v string) (step, error) {
	f := strings.Fields(v)
	for k, n := range stepNames {
		name := strings.Fields(n.name)
		if len(f) != len(name)+n.nums || strings.Join(f[:len(name)], " ") != n.name {
			continue
		}
		s := step{kind: stepKind(k)}
		nums := []*int{&s.doc, &s.page}[:n.nums]
		for i, dst := range nums {
			x, err := strconv.Atoi(f[len(name)+i])
			if err != nil || x < 0 {
				return step{}, fmt.Errorf("retry step %q: bad number %q", v, f[len(name)+i])
			}
			*dst = x
		}
		return s, nil
	}
	return step{}, fmt.Errorf("retry step %q: unknown", v)
}

// plan is the steps of a Retry or Replace.
type plan []step

// strings returns the plan's steps in their text form, for Redis.
func (p plan) strings() []string {
	out := make([]string, len(p))
	for i, s := range p {
		out[i] = s.String()
	}
	return out
}

// parsePlan reads the steps stored in Redis.
func parsePlan(vs []string) (plan, error) {
	p := make(plan, len(vs))
	for i, v := range vs {
		s, err := parseStep(v)
		if err != nil {
			return nil, err
		}
		p[i] = s
	}
	return p, nil
}

// pageRef names page p of document d in the batch's hashes of failed and
// flagged pages, as "d/p".
type pageRef struct{ doc, page int }

func (r pageRef) String() string { return fmt.Sprintf("%d/%d", r.doc, r.page) }

// parsePageRef reads a page's field in the form pageRef.String writes.
func parsePageRef(v string) (pageRef, error) {
	d, p, ok := strings.Cut(v, "/")
	dn, err1 := strconv.Atoi(d)
	pn, err2 := strconv.Atoi(p)
	if !ok || err1 != nil || err2 != nil || dn < 0 || pn < 0 {
		return pageRef{}, fmt.Errorf("page field %q: not document/page", v)
	}
	return pageRef{dn, pn}, nil
}
