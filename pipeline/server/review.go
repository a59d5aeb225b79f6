package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
)

// The review API (role reviewer, staff, admin): the JSON face of the queue's
// review methods, which check the states and write the audit trail. The
// review screen's forms call the same methods.

// actor is who makes request r, for the audit trail.
func actor(r *http.Request, who *principal) audit.Actor {
	return audit.Actor{Name: who.Name, Role: who.Role, Addr: clientAddr(r)}
}

// apiReview returns batch {id}'s review plan (queue.ReviewPlan).
func (s *Server) apiReview(w http.ResponseWriter, r *http.Request, who *principal) {
	p, err := s.q.ReviewPlan(r.Context(), r.PathValue("id"))
	if err != nil {
		s.reviewFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// apiAccept accepts document {doc} of batch {id}.
func (s *Server) apiAccept(w http.ResponseWriter, r *http.Request, who *principal) {
	id, doc := r.PathValue("id"), r.PathValue("doc")
	if err := s.q.Accept(r.Context(), id, doc, actor(r, who)); err != nil {
		s.reviewFail(w, r, err)
		return
	}
	s.forget(id)
	writeJSON(w, http.StatusOK, map[string]any{"batchId": id, "doc": doc, "review": "accepted"})
}

// apiCorrect corrects a metadata field of document {doc} of batch {id}:
// field and value, as a form or a JSON object.
func (s *Server) apiCorrect(w http.ResponseWriter, r *http.Request, who *principal) {
	id, doc := r.PathValue("id"), r.PathValue("doc")
	in, ok := reviewInput(w, r, "field", "value")
	if !ok {
		return
	}
	if err := s.q.Correct(r.Context(), id, doc, in["field"], in["value"], actor(r, who)); err != nil {
		s.reviewFail(w, r, err)
		return
	}
	s.forget(id)
	writeJSON(w, http.StatusOK, map[string]any{"batchId": id, "doc": doc, "field": in["field"], "value": in["value"]})
}

// apiReject sends document {doc} of batch {id} back to the station: reason.
func (s *Server) apiReject(w http.ResponseWriter, r *http.Request, who *principal) {
	id, doc := r.PathValue("id"), r.PathValue("doc")
	in, ok := reviewInput(w, r, "reason")
	if !ok {
		return
	}
	if err := s.q.RejectDocument(r.Context(), id, doc, in["reason"], actor(r, who)); err != nil {
		s.reviewFail(w, r, err)
		return
	}
	s.forget(id)
	writeJSON(w, http.StatusOK, map[string]any{"batchId": id, "doc": doc, "review": "rejected"})
}

// apiApprove approves batch {id}: its package is then assembled, sealed and locked.
func (s *Server) apiApprove(w http.ResponseWriter, r *http.Request, who *principal) {
	id := r.PathValue("id")
	if err := s.q.Approve(r.Context(), id, actor(r, who)); err != nil {
		s.reviewFail(w, r, err)
		return
	}
	s.forget(id)
	writeJSON(w, http.StatusAccepted, map[string]any{"batchId": id, "state": "approved"})
}

// reviewInput reads the named values from a JSON object or a form.
func reviewInput(w http.ResponseWriter, r *http.Request, names ...string) (map[string]string, bool) {
	out := map[string]string{}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&out); err != nil {
			writeError(w, http.StatusBadRequest, "malformed", "body: "+err.Error(), nil)
			return nil, false
		}
		return out, true
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "malformed", "form: "+err.Error(), nil)
		return nil, false
	}
	for _, n := range names {
		out[n] = r.PostForm.Get(n)
	}
	return out, true
}

// reviewMessages are the sentences, Vietnamese then English, of the review's refusals.
var reviewMessages = []struct {
	err    error
	vi, en string
}{
	{queue.ErrSealed, "Lô đã được niêm phong: không thể sửa hay thay trang nữa.", "The batch is sealed: nothing in it can be changed any more."},
	{queue.ErrSampleNotAccepted, "Chưa duyệt được: còn văn bản trong mẫu kiểm tra chưa được chấp nhận.", "Not approved: some sampled documents are not accepted yet."},
	{queue.ErrNotReviewable, "Lô không ở bước kiểm tra (đang xử lý, đã duyệt hoặc đang chờ thay trang).", "The batch is not waiting for a review (processing, approved, or waiting for replaced pages)."},
	{queue.ErrInvalidField, "Giá trị sửa không hợp lệ: xem chi tiết và nhập lại.", "The corrected value is not valid: see the detail and enter it again."},
	{queue.ErrUnknownDocument, "Không có văn bản này trong lô.", "The batch has no such document."},
	{queue.ErrRunning, "Lô vừa được người khác thay đổi: tải lại trang và thử lại.", "The batch was changed at the same time: reload and try again."},
}

// reviewFail answers a refused review action: its status, a sentence in
// Vietnamese (English with ?lang=en) and the technical text as detail.
func (s *Server) reviewFail(w http.ResponseWriter, r *http.Request, err error) {
	code, name := errStatus(err)
	if errors.Is(err, queue.ErrUnknownDocument) {
		code, name = http.StatusNotFound, "not_found"
	}
	for _, m := range reviewMessages {
		if errors.Is(err, m.err) {
			msg := m.vi
			if r.URL.Query().Get("lang") == "en" {
				msg = m.en
			}
			writeJSON(w, code, apiError{Code: name, Message: msg, Detail: err.Error()})
			return
		}
	}
	s.fail(w, err)
}
