package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
	"github.com/sohoa-vn/sohoa/pipeline/state"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
)

// post sends a review form (or JSON when js) to path as role, and returns the status and body.
func (e *testEnv) post(path, role string, form url.Values, js bool) (int, string) {
	e.t.Helper()
	body, ctype := strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	if js {
		m := map[string]string{}
		for k := range form {
			m[k] = form.Get(k)
		}
		b, _ := json.Marshal(m)
		body, ctype = strings.NewReader(string(b)), "application/json"
	}
	resp := e.do("POST", path, role, body, ctype)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// postCookie posts an empty form to path with the session cookie c, from the dashboard's origin.
func (e *testEnv) postCookie(path string, c *http.Cookie) int {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.url+path, strings.NewReader(""))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.url)
	req.AddCookie(&http.Cookie{Name: cookieName, Value: c.Value})
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestReviewAPI: a batch held for review is reviewed through the JSON API:
// stations and officers are refused (403) and record nothing; approval
// before acceptance and invalid corrections are refused with a Vietnamese
// sentence; an expired session is refused; once the sample is accepted the
// reviewer approves and the batch is sealed with its inspection record;
// after that corrections and replacements are refused (409 sealed). Each
// action is in the batch's audit trail once.
func TestReviewAPI(t *testing.T) {
	clock := &testClock{t: time.Now()}
	e := newReviewEnv(t, 64<<20, queue.ReviewOptions{Required: true, Sample: 1}, withClock(clock))
	e.startWorker(1)
	const id = "review-api-1"
	files := batchFiles(t, id, false)
	e.upload(files)
	if st := e.waitFinished(id, testenv.WaitLimit); st.State != state.BatchReview {
		t.Fatalf("state %s, want review", st.State)
	}
	base := "/api/v1/batches/" + id
	for _, role := range []string{configs.RoleStation, configs.RoleOfficer} {
		e.getJSON(base+"/review", role, http.StatusForbidden, nil)
		for _, p := range []string{"/approve", "/documents/0/accept", "/documents/0/fields", "/documents/0/reject"} {
			if code, _ := e.post(base+p, role, url.Values{"field": {"subject"}, "value": {"x"}, "reason": {"x"}}, false); code != http.StatusForbidden {
				t.Errorf("%s POST %s: %d, want 403", role, p, code)
			}
		}
	}
	var plan queue.ReviewPlan
	e.getJSON(base+"/review", configs.RoleReviewer, http.StatusOK, &plan)
	if len(plan.Documents) != 2 || plan.Counts.Sampled != 2 || plan.Approvable {
		t.Fatalf("plan: %+v", plan)
	}
	if code, body := e.post(base+"/approve", configs.RoleReviewer, nil, false); code != http.StatusConflict ||
		!strings.Contains(body, "sample_not_accepted") || !strings.Contains(body, "chưa được chấp nhận") {
		t.Errorf("approve before acceptance: %d %s", code, body)
	}
	if code, body := e.post(base+"/documents/0/fields", configs.RoleReviewer, url.Values{"field": {"issuedDate"}, "value": {"31/02/2024"}}, true); code != http.StatusUnprocessableEntity || !strings.Contains(body, "không hợp lệ") {
		t.Errorf("invalid correction: %d %s", code, body)
	}
	if code, body := e.post(base+"/documents/0/reject", configs.RoleReviewer, nil, false); code != http.StatusUnprocessableEntity {
		t.Errorf("reject without a reason: %d %s", code, body)
	}
	if code, body := e.post(base+"/documents/0/fields", configs.RoleReviewer, url.Values{"field": {"subject"}, "value": {"Về việc chỉnh lý tài liệu"}}, true); code != http.StatusOK {
		t.Fatalf("correction: %d %s", code, body)
	}
	reviewWithSession(t, e, clock, base)
	if code, body := e.post(base+"/documents/1/accept", configs.RoleReviewer, nil, false); code != http.StatusOK {
		t.Fatalf("accept: %d %s", code, body)
	}
	if code, body := e.post(base+"/approve", configs.RoleReviewer, nil, false); code != http.StatusAccepted {
		t.Fatalf("approve: %d %s", code, body)
	}
	if st := e.waitFinished(id, testenv.WaitLimit); st.State != state.BatchComplete {
		t.Fatalf("after approval: %s", st.State)
	}
	if _, err := e.stores.Archive.Stat(t.Context(), id+"/"+pipeline.InspectionFile); err != nil {
		t.Errorf("the sealed package has no inspection record: %v", err)
	}
	refusedWhenSealed(t, e, id, files)
	checkReviewAudit(t, e, id)
}

// reviewWithSession accepts document 0 as a reviewer logged in with a
// password; once the session expired, approving is refused (401).
func reviewWithSession(t *testing.T, e *testEnv, clock *testClock, base string) {
	t.Helper()
	e.addUser("kiemtra", configs.RoleReviewer, "mật-khẩu-kiểm-tra")
	_, c := e.loginAs(url.Values{"user": {"kiemtra"}, "password": {"mật-khẩu-kiểm-tra"}})
	if c == nil {
		t.Fatal("reviewer login: no session")
	}
	if code := e.postCookie(base+"/documents/0/accept", c); code != http.StatusOK {
		t.Errorf("accept with a session: %d", code)
	}
	clock.Add(2 * time.Hour)
	if code := e.postCookie(base+"/approve", c); code != http.StatusUnauthorized {
		t.Errorf("approve with an expired session: %d, want 401", code)
	}
}

// refusedWhenSealed: a correction and a replacement of the sealed batch are refused.
func refusedWhenSealed(t *testing.T, e *testEnv, id string, files map[string][]byte) {
	t.Helper()
	base := "/api/v1/batches/" + id
	if code, body := e.post(base+"/documents/0/fields", configs.RoleReviewer, url.Values{"field": {"subject"}, "value": {"muộn"}}, false); code != http.StatusConflict || !strings.Contains(body, "niêm phong") {
		t.Errorf("correction after sealing: %d %s", code, body)
	}
	for k, v := range files {
		if strings.HasSuffix(k, ".png") {
			files[k] = append(append([]byte(nil), v...), 0) // another scan (a byte after IEND)
		}
	}
	resp := e.do("POST", base+"/replace", configs.RoleStation, tarOf(t, files), "application/x-tar")
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("replace after sealing: %d, want 409", resp.StatusCode)
	}
}

// checkReviewAudit: the batch's audit trail holds each review action once.
func checkReviewAudit(t *testing.T, e *testEnv, id string) {
	t.Helper()
	var trail struct{ Entries []audit.Entry }
	e.getJSON("/api/v1/batches/"+id+"/audit", configs.RoleStaff, http.StatusOK, &trail)
	got := map[string]int{}
	for _, en := range trail.Entries {
		k := en.Action
		if k == audit.State {
			k = en.Before + ">" + en.After
		}
		got[k+" "+en.Who]++
	}
	want := map[string]int{"submit test-station": 1, "correct test-reviewer": 1, "accept kiemtra": 1, "accept test-reviewer": 1,
		"approve test-reviewer": 1, "queued>review worker": 1, "review>approved test-reviewer": 1, "approved>complete worker": 1}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("audit %q: %d entries, want %d (all: %v)", k, got[k], n, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("audit: %v, want only %v", got, want)
	}
}
