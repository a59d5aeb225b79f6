package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
	"github.com/sohoa-vn/sohoa/pipeline/state"
)

// The review screen's forms: each posts (with the login cookie and the
// same-origin check of require), calls the queue's review method, which
// checks the batch's state and writes the audit trail, and sends the
// browser back to the page it came from, with a sentence for people when
// the action was refused.

// reviewBack sends the browser to path, with msg (a sentence and an action) shown as the page's error.
func reviewBack(w http.ResponseWriter, r *http.Request, path, msg string) {
	if msg != "" {
		path += "?error=" + url.QueryEscape(msg)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// reviewRefusal is the sentence shown for a refused review action, in the dashboard's language.
func (s *Server) reviewRefusal(w http.ResponseWriter, r *http.Request, err error) string {
	l := lang(w, r)
	if errors.Is(err, errNeedReason) {
		return labels[l]["needReason"]
	}
	for _, m := range reviewMessages {
		if errors.Is(err, m.err) {
			if l == "en" {
				return m.en
			}
			return m.vi
		}
	}
	s.log.Error("review action", "path", r.URL.Path, "error", err)
	return fmt.Sprintf(labels[l]["reviewFailed"], err.Error())
}

// reviewAction runs act for the form posted to a document's route and sends the browser back to its review screen.
func (s *Server) reviewAction(act func(r *http.Request, id, doc string, who audit.Actor) error) func(http.ResponseWriter, *http.Request, *principal) {
	return func(w http.ResponseWriter, r *http.Request, who *principal) {
		id, doc := r.PathValue("id"), r.PathValue("doc")
		n, err := strconv.Atoi(doc)
		if err != nil {
			http.Error(w, "no such document", http.StatusNotFound)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "form: "+err.Error(), http.StatusBadRequest)
			return
		}
		err = act(r, id, doc, actor(r, who))
		s.forget(id)
		msg := ""
		if err != nil {
			msg = s.reviewRefusal(w, r, err)
		}
		reviewBack(w, r, docPath(id, n, "/review"), msg)
	}
}

func (s *Server) acceptForm(r *http.Request, id, doc string, who audit.Actor) error {
	return s.q.Accept(r.Context(), id, doc, who)
}

func (s *Server) correctForm(r *http.Request, id, doc string, who audit.Actor) error {
	return s.q.Correct(r.Context(), id, doc, r.PostFormValue("field"), strings.TrimSpace(r.PostFormValue("value")), who)
}

func (s *Server) rejectForm(r *http.Request, id, doc string, who audit.Actor) error {
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		return errNeedReason
	}
	return s.q.RejectDocument(r.Context(), id, doc, reason, who)
}

// errNeedReason refuses a rejection without a reason.
var errNeedReason = errors.New("a document is sent back with a reason")

// replaceForm takes a new scan of page {page} of document {doc} (multipart
// field scan) and hands it to the existing replace flow (queue.ReplacePage):
// the new original is stored as a version, the old one kept, and the
// document is processed again.
func (s *Server) replaceForm(w http.ResponseWriter, r *http.Request, who *principal) {
	id, _, doc, ok := s.docParam(w, r)
	if !ok {
		return
	}
	p, err := strconv.Atoi(r.PathValue("page"))
	if err != nil || p < 1 || p > len(doc.Pages) {
		http.Error(w, "no such page", http.StatusNotFound)
		return
	}
	back := docPath(id, doc.Doc, "/review")
	T := labels[lang(w, r)]
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload)
	f, hdr, err := r.FormFile("scan")
	if err != nil {
		reviewBack(w, r, back, T["needScan"])
		return
	}
	defer f.Close()
	old := doc.Pages[p-1].File
	if !strings.EqualFold(extOf(hdr.Filename), extOf(old)) {
		reviewBack(w, r, back, fmt.Sprintf(T["scanRejected"], fmt.Sprintf("%s ≠ %s", extOf(hdr.Filename), extOf(old))))
		return
	}
	before := s.stateOf(r.Context(), id)
	res, err := s.q.ReplacePage(r.Context(), id, doc.Doc, p, f, s.cfg.TempDir, actor(r, who))
	s.forget(id)
	if err != nil {
		msg := s.reviewRefusal(w, r, err)
		if !errors.Is(err, queue.ErrSealed) && !errors.Is(err, queue.ErrRunning) && !errors.Is(err, queue.ErrNotReviewable) {
			msg = fmt.Sprintf(T["scanRejected"], err.Error())
		}
		s.log.Warn("page replacement refused", "batch", id, "doc", doc.Doc, "page", p, "error", err)
		reviewBack(w, r, back, msg)
		return
	}
	s.record(r.Context(), r, who, audit.Entry{Action: audit.Replace, Batch: id, What: strings.Join(res.Files, ", "),
		Before: before, After: s.stateOf(r.Context(), id), Detail: fmt.Sprintf("document %d (%s) page %d: new scan %q; %d pages re-run", doc.Doc, doc.Code, p, hdr.Filename, res.Pages)})
	http.Redirect(w, r, back+"?done=replace", http.StatusSeeOther)
}

// extOf is a file name's extension, lower-case, without the dot.
func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return strings.ToLower(name[i+1:])
	}
	return ""
}

// approveForm approves batch {id} from its review list.
func (s *Server) approveForm(w http.ResponseWriter, r *http.Request, who *principal) {
	id := r.PathValue("id")
	err := s.q.Approve(r.Context(), id, actor(r, who))
	s.forget(id)
	back := "/batches/" + url.PathEscape(id) + "/review"
	if err != nil {
		reviewBack(w, r, back, s.reviewRefusal(w, r, err))
		return
	}
	reviewBack(w, r, "/batches/"+url.PathEscape(id), "")
}

// reviewListView is a batch's review list.
type reviewListView struct {
	Summary *BatchSummary
	Plan    queue.ReviewPlan
	Waiting int // sampled documents not yet accepted
}

// reviewListPage lists batch {id}'s documents with their review state,
// sampled ones first, and the Approve button once every sampled document is
// accepted (and only for roles that may approve).
func (s *Server) reviewListPage(w http.ResponseWriter, r *http.Request, who *principal) {
	id := r.PathValue("id")
	sum, err := s.summary(r.Context(), id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p, err := s.reviewPlan(r.Context(), id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v := reviewListView{Summary: sum, Plan: p}
	for _, d := range p.Documents {
		if d.Sampled && d.Review != state.ReviewAccepted {
			v.Waiting++
		}
	}
	s.render(w, r, "reviewlist", http.StatusOK, page{Who: who, Data: v, Error: r.URL.Query().Get("error")})
}
