package fields

import "strings"

// Evidence is why a page was taken for the first page of a document.
type Evidence struct {
	Motto    bool   `json:"motto"`              // quốc hiệu in the header
	Organ    string `json:"organ,omitempty"`    // issuing organ found in the header's left column
	Number   string `json:"number,omitempty"`   // the "Số: …/…" line
	TypeName string `json:"typeName,omitempty"` // a type name (or V/v) under the header
}

// First reports whether the evidence makes a first page: the quốc hiệu with the
// issuing organ, and a số/ký hiệu line or a type name under it.
func (e Evidence) First() bool {
	return e.Motto && e.Organ != "" && (e.Number != "" || e.TypeName != "")
}

func (e Evidence) String() string {
	var parts []string
	if e.Motto {
		parts = append(parts, "quốc hiệu")
	}
	if e.Organ != "" {
		parts = append(parts, "cơ quan "+e.Organ)
	}
	if e.Number != "" {
		parts = append(parts, "số "+e.Number)
	}
	if e.TypeName != "" {
		parts = append(parts, "tên loại "+e.TypeName)
	}
	return strings.Join(parts, ", ")
}

// FirstPage looks for the header block of a document's first page.
func FirstPage(p Page) Evidence {
	segs := segments(p.Words)
	h := headerOf(segs, p)
	e := Evidence{Motto: h.motto != nil && h.motto.box.Min.Y < p.Height/4, Organ: h.organ.Text}
	if h.numberSeg != nil {
		e.Number = strings.Trim(h.number.Text+"/"+h.notation.Text, "/")
		if e.Number == "" {
			e.Number = "/"
		}
	}
	t, _ := typeAndSubject(segs, p, h)
	if t.Confidence > 0 && t.Confidence != h.notation.Confidence/2 {
		e.TypeName = t.Text
	}
	return e
}

// Split returns the 1-based index of the first page of each document in a stack of
// pages, with the evidence for each. The first page of the stack always starts a
// document, with or without evidence.
func Split(pages []Page) (firsts []int, evidence []Evidence) {
	for i, p := range pages {
		e := FirstPage(p)
		if i == 0 || e.First() {
			firsts = append(firsts, i+1)
			evidence = append(evidence, e)
		}
	}
	return firsts, evidence
}
