package server

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
)

// TestAuditTrail: every action that exists today leaves an entry with who,
// when, what, before and after: a failed and a successful login (the system
// trail, admins only), the upload, each state change of the workers, a retry
// from the dashboard, a replacement, and the downloads of a PDF and of the
// package. The batch's trail is in the API, on the batch page, and (up to
// packaging) in the package as metadata/audit-trail.jsonl, in the tag manifest.
func TestAuditTrail(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)}
	e := newEnv(t, 64<<20, withClock(clock))
	e.addUser("lan", configs.RoleStaff, "mật-khẩu-của-lan")
	e.startWorker(1)

	if resp, _ := e.loginAs(url.Values{"user": {"lan"}, "password": {"sai-mật-khẩu"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	_, lan := e.loginAs(url.Values{"user": {"lan"}, "password": {"mật-khẩu-của-lan"}})
	if lan == nil {
		t.Fatal("no session")
	}
	const id = "web-audit-1"
	files := batchFiles(t, id, true)
	e.upload(files)
	if sum := e.waitFinished(id, testenv.WaitLimit); sum.State != queue.StateIncomplete {
		t.Fatalf("first run: %+v", sum.BatchStatus)
	}
	// Lan retries the failed document from the dashboard (it fails again: still corrupt).
	req, _ := http.NewRequest("POST", e.url+"/batches/"+id+"/retry", strings.NewReader("doc=0"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.url)
	req.AddCookie(lan)
	if resp, err := http.DefaultTransport.RoundTrip(req); err != nil || resp.StatusCode != http.StatusSeeOther || strings.Contains(resp.Header.Get("Location"), "error") {
		t.Fatalf("retry: %v %v", resp, err)
	}
	e.waitRetried(id, 1, testenv.WaitLimit)
	// The station replaces the page with a good scan; the batch completes.
	good, err := os.ReadFile(filepath.Join("../../testdata/samples", "tt-so-hoa-p01.tif"))
	if err != nil {
		t.Fatal(err)
	}
	files[id+"/H49.64.33.2024.01.VTLT/1/page-001.tif"] = good
	resp := e.do("POST", "/api/v1/batches/"+id+"/replace", configs.RoleStation, tarOf(t, files), "application/x-tar")
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("replace: %d", resp.StatusCode)
	}
	if sum := e.waitRetried(id, 2, testenv.WaitLimit); sum.State != queue.StateComplete {
		t.Fatalf("after the replacement: %+v", sum.BatchStatus)
	}
	// Downloads: a PDF (staff) and the package (officer).
	resp = e.do("GET", "/api/v1/batches/"+id+"/documents/1/pdf", configs.RoleStaff, nil, "")
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	resp = e.do("GET", "/api/v1/batches/"+id+"/package", configs.RoleOfficer, nil, "")
	bagFiles := map[string][]byte{}
	tr := tar.NewReader(resp.Body)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		data, _ := io.ReadAll(tr)
		bagFiles[strings.TrimPrefix(h.Name, id+"/")] = data
	}
	resp.Body.Close()

	var trail struct {
		Entries []audit.Entry
	}
	e.getJSON("/api/v1/batches/"+id+"/audit", configs.RoleStaff, http.StatusOK, &trail)
	type want struct{ action, who, before, after, what string }
	wants := []want{
		{audit.Submit, "test-station", "", "queued", "3 documents, 3 pages, 3 files"},
		{audit.State, "worker", "queued", "incomplete", ""},
		{audit.State, "lan", "incomplete", "queued", ""}, // the state change, by the person who asked; the request follows
		{audit.Retry, "lan", "incomplete; document 0 failed", "queued", "documents 0"},
		{audit.State, "worker", "queued", "incomplete", ""},
		{audit.State, "test-station", "incomplete", "queued", ""},
		{audit.Replace, "test-station", "incomplete; document 0 failed", "queued", "H49.64.33.2024.01.VTLT/1/page-001.tif"},
		{audit.State, "worker", "queued", "complete", ""},
		{audit.Download, "test-staff", "", "", "document 1 (H49.64.33.2024.01.VTLT.0000002) PDF"},
		{audit.Download, "test-officer", "", "", "package"},
	}
	if len(trail.Entries) != len(wants) {
		t.Fatalf("%d entries, want %d: %+v", len(trail.Entries), len(wants), trail.Entries)
	}
	for i, w := range wants {
		g := trail.Entries[i]
		if g.Action != w.action || g.Who != w.who || !strings.HasPrefix(g.Before, w.before) || g.After != w.after || g.What != w.what ||
			g.Batch != id || g.Time.IsZero() {
			t.Errorf("entry %d = %+v, want %+v", i, g, w)
		}
	}
	if g := trail.Entries[3]; g.Role != configs.RoleStaff || g.Addr != "127.0.0.1" || !g.Time.Equal(clock.Now()) {
		t.Errorf("retry entry: %+v", g)
	}
	if g := trail.Entries[6]; !strings.Contains(g.Detail, "new SHA-256: H49.64.33.2024.01.VTLT/1/page-001.tif "+sha(good)) {
		t.Errorf("replace entry detail: %q", g.Detail)
	}

	// The package holds the trail up to its packaging, under the tag manifest.
	jl, ok := bagFiles[pipeline.AuditTrailFile]
	if !ok {
		t.Fatalf("no %s in the package: %v", pipeline.AuditTrailFile, keysOf(bagFiles))
	}
	lines := strings.Split(strings.TrimSpace(string(jl)), "\n")
	if len(lines) != 7 {
		t.Errorf("package trail has %d entries, want 7 (submit to replace):\n%s", len(lines), jl)
	}
	for i, l := range lines {
		var g audit.Entry
		if err := json.Unmarshal([]byte(l), &g); err != nil || g.Action != wants[i].action || g.ID != trail.Entries[i].ID {
			t.Errorf("package trail line %d: %s (%v)", i, l, err)
		}
	}
	if tm := string(bagFiles["tagmanifest-sha256.txt"]); !strings.Contains(tm, sha(jl)+"  "+pipeline.AuditTrailFile) {
		t.Errorf("tag manifest does not cover the trail:\n%s", tm)
	}

	// The system trail: the failed and the successful login, for admins only.
	var sys struct{ Entries []audit.Entry }
	e.getJSON("/api/v1/audit", configs.RoleStaff, http.StatusForbidden, nil)
	e.getJSON("/api/v1/audit", configs.RoleAdmin, http.StatusOK, &sys)
	if len(sys.Entries) != 2 || sys.Entries[1].Action != audit.LoginFailed || sys.Entries[1].Who != "lan" ||
		sys.Entries[1].Detail != "wrong user name or password" || sys.Entries[1].Addr != "127.0.0.1" ||
		sys.Entries[0].Action != audit.Login || sys.Entries[0].Who != "lan" || sys.Entries[0].Role != configs.RoleStaff {
		t.Errorf("system trail: %+v", sys.Entries)
	}

	// The batch page shows the trail, times in ICT.
	code, body := e.withCookie("/batches/"+id, lan)
	if code != 200 || strings.Count(body, `data-action="`) != len(wants) || !strings.Contains(body, "Nhật ký thao tác") ||
		!strings.Contains(body, "09:00:00 02/03/2026 ICT") || !strings.Contains(body, "Thay trang") {
		t.Errorf("batch page trail: %d\n%s", code, body)
	}
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func keysOf(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
