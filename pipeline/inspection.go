package pipeline

import (
	"bytes"
	"fmt"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/mets"
)

// InspectionFile is where a package reviewed before sealing holds its signed
// inspection record (biên bản kiểm tra, TT 05/2025 Phụ lục VII), a tag file
// covered by the tag manifest and sealed with the package.
const InspectionFile = "metadata/bien-ban-kiem-tra.pdf"

// Inspection is a batch's review before sealing, for its package.
type Inspection struct {
	PDF      []byte    // the signed inspection record
	Reviewer string    // who approved the batch
	Time     time.Time // when
	Detail   string    // the counts, for the PREMIS event
}

// addInspection writes the inspection record into the package and returns
// its entry, for the PREMIS validation event; nothing without one.
func (p *Packager) addInspection() (*bag.Entry, error) {
	in := p.opts.Inspection
	if in == nil {
		return nil, nil
	}
	e, err := p.w.AddTag(InspectionFile, bytes.NewReader(in.PDF))
	if err != nil {
		return nil, fmt.Errorf("batch %s: inspection record: %w", p.b.ID, err)
	}
	return &e, nil
}

// inspectionPremis adds to prem the inspection record as an object and the
// review as a validation event by the reviewer, linked to the record and to
// every document PDF of the package.
func inspectionPremis(prem *mets.Premis, in *Inspection, e *bag.Entry, pdfs []string) {
	if in == nil || e == nil {
		return
	}
	prem.Objects = append(prem.Objects, mets.NewObject(InspectionFile, e.SHA256, e.Size, "PDF", ""))
	prem.Agents = append(prem.Agents, mets.NewAgent(agentReviewer, in.Reviewer, "person", ""))
	ev := mets.NewEvent("inspection", "validation", in.Time.UTC().Format(time.RFC3339), "success",
		[]string{"biên bản kiểm tra (TT 05/2025 Phụ lục VII): " + in.Detail})
	ev.LinkAgent(agentReviewer, "reviewer")
	ev.LinkAgent(agentOrg, "authorizer")
	ev.LinkObject(InspectionFile)
	for _, p := range pdfs {
		ev.LinkObject(p)
	}
	prem.Events = append(prem.Events, ev)
}

// agentReviewer is the PREMIS agent of the person who approved the batch.
const agentReviewer = "agent-reviewer"
