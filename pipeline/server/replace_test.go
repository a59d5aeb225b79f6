package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
)

// TestReplaceEndpoint: a station replaces the corrupt page of a batch packaged
// incomplete through POST /api/v1/batches/{id}/replace; only that document is
// re-run and the batch completes. Uploading the corrected batch as a new one
// under the same id is refused (409), as is a replacement once the package is
// complete (409 sealed), and one for an unknown batch (404).
func TestReplaceEndpoint(t *testing.T) {
	e := newEnv(t, 64<<20)
	e.startWorker(1)
	const id = "web-replace-1"
	files := batchFiles(t, id, true)
	e.upload(files)
	if sum := e.waitFinished(id, testenv.WaitLimit); sum.State != queue.StateIncomplete || sum.PagesFailed != 1 {
		t.Fatalf("first run: %+v", sum.BatchStatus)
	}
	good, err := os.ReadFile(filepath.Join("../../testdata/samples", "tt-so-hoa-p01.tif"))
	if err != nil {
		t.Fatal(err)
	}
	const tif = id + "/H49.64.33.2024.01.VTLT/1/page-001.tif"
	files[tif] = good
	post := func(path, role string, want int) string {
		t.Helper()
		resp := e.do("POST", path, role, tarOf(t, files), "application/x-tar")
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("POST %s as %s: %d %s, want %d", path, role, resp.StatusCode, data, want)
		}
		return string(data)
	}
	if body := post("/api/v1/batches", configs.RoleStation, http.StatusConflict); !strings.Contains(body, "submit --replace") {
		t.Errorf("upload of a changed batch under its id: %s", body)
	}
	post("/api/v1/batches/"+id+"/replace", configs.RoleStaff, http.StatusForbidden)
	post("/api/v1/batches/other/replace", configs.RoleStation, http.StatusConflict) // the upload is another batch
	var res struct {
		Replaced  []string
		Pages     int
		Documents []int
	}
	body := post("/api/v1/batches/"+id+"/replace", configs.RoleStation, http.StatusAccepted)
	if err := json.Unmarshal([]byte(body), &res); err != nil || len(res.Replaced) != 1 || res.Replaced[0] != "H49.64.33.2024.01.VTLT/1/page-001.tif" ||
		res.Pages != 1 || len(res.Documents) != 1 || res.Documents[0] != 0 {
		t.Fatalf("replace: %s (%v)", body, err)
	}
	sum := e.waitRetried(id, 1, testenv.WaitLimit)
	if sum.State != queue.StateComplete || sum.PagesDone != 3 || sum.PagesFailed != 0 || sum.DocumentsDone != 3 {
		t.Fatalf("after the replacement: %+v", sum.BatchStatus)
	}
	files[tif] = corruptTIFF(good, len(good)/2)
	if body := post("/api/v1/batches/"+id+"/replace", configs.RoleStation, http.StatusConflict); !strings.Contains(body, `"sealed"`) {
		t.Errorf("replace in a complete batch: %s", body)
	}
	files = batchFiles(t, "web-replace-unknown", false)
	post("/api/v1/batches/web-replace-unknown/replace", configs.RoleStation, http.StatusNotFound)
}

// corruptTIFF returns a copy of the TIFF good whose image data from the byte
// at from on is zeros: its header and directory (at the file's end) stay
// whole, so validation passes and the page fails when it is decoded.
func corruptTIFF(good []byte, from int) []byte {
	bad := bytes.Clone(good)
	clear(bad[from : len(bad)-4096])
	return bad
}

// TestPageCachesFollowReplacement: a page replaced outside this server
// (submit --replace on a station, another server's review screen) is not
// served from what this server kept of it: its thumbnail and full rendering
// after the re-run are the new scan's.
func TestPageCachesFollowReplacement(t *testing.T) {
	e := newEnv(t, 64<<20)
	e.startWorker(1)
	const id = "web-replace-cache"
	e.upload(batchFiles(t, id, true))
	if sum := e.waitFinished(id, testenv.WaitLimit); sum.State != queue.StateIncomplete || sum.PagesDone != 2 {
		t.Fatalf("first run: %+v", sum.BatchStatus)
	}
	const page = "/api/v1/batches/" + id + "/documents/1/pages/1/"
	get := func(path string) []byte {
		t.Helper()
		resp := e.do("GET", path, configs.RoleStaff, nil, "")
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, data)
		}
		return data
	}
	thumb, image := get(page+"thumbnail"), get(page+"image?width=800")
	scan, err := os.ReadFile(filepath.Join("../../testdata/samples", "bb-giao-nhan-p01.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.q.ReplacePage(context.Background(), id, 1, 1, bytes.NewReader(scan), t.TempDir(), audit.Actor{Name: "another-server"}); err != nil {
		t.Fatal(err)
	}
	if sum := e.waitRetried(id, 1, testenv.WaitLimit); sum.PagesDone != 2 {
		t.Fatalf("after the replacement: %+v", sum.BatchStatus)
	}
	if bytes.Equal(get(page+"thumbnail"), thumb) {
		t.Error("the thumbnail is the replaced scan's")
	}
	if bytes.Equal(get(page+"image?width=800"), image) {
		t.Error("the page rendering is the replaced scan's")
	}
}
