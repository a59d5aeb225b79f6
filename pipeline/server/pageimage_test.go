package server

import (
	"bytes"
	"image/jpeg"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
)

func TestRenderWidth(t *testing.T) {
	for _, c := range []struct{ want, full, got int }{
		{0, 2480, 2480}, {-1, 2480, 2480}, {1, 2480, 400}, {400, 2480, 400}, {401, 2480, 800},
		{2400, 2480, 2400}, {2401, 2480, 2480}, {5000, 2480, 2480}, {300, 250, 250},
	} {
		if got := renderWidth(c.want, c.full); got != c.got {
			t.Errorf("renderWidth(%d, %d) = %d, want %d", c.want, c.full, got, c.got)
		}
	}
}

// TestPageImage: the review screen's page image is the normalized page at full
// resolution (not the thumbnail), or scaled to ?width= rounded up to imageStep;
// only roles that may view documents get it.
func TestPageImage(t *testing.T) {
	e := newEnv(t, 64<<20)
	id := e.upload(batchFiles(t, "web-image-1", false))
	e.startWorker(1)
	e.waitUntil(id, 3*time.Minute, func(s *queue.BatchStatus) bool { return s.PagesDone == s.Pages })
	var d queue.BatchDetail
	e.getJSON("/api/v1/batches/"+id, configs.RoleStaff, http.StatusOK, &d)
	pg := d.Files[0].Documents[0].Pages[0]
	if pg.Result == nil || pg.Result.Width < 1000 {
		t.Fatalf("page result %+v", pg.Result)
	}
	base := "/api/v1/batches/" + id + "/documents/0/pages/1/image"
	get := func(q, role string, want int) []byte {
		t.Helper()
		resp := e.do("GET", base+q, role, nil, "")
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("GET %s as %s: %d, want %d: %.200s", base+q, role, resp.StatusCode, want, data)
		}
		return data
	}
	width := func(data []byte) int {
		t.Helper()
		c, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("not a JPEG: %v", err)
		}
		return c.Width
	}
	full := get("", configs.RoleStaff, http.StatusOK)
	if w := width(full); w != pg.Result.Width {
		t.Errorf("full rendering %d px wide, want the page's %d", w, pg.Result.Width)
	}
	if w := width(get("?width=500", configs.RoleOfficer, http.StatusOK)); w != 800 {
		t.Errorf("?width=500: %d px wide, want 800", w)
	}
	if again := get("", configs.RoleAdmin, http.StatusOK); !bytes.Equal(again, full) {
		t.Error("the full rendering changed between two requests")
	}
	get("?width=abc", configs.RoleStaff, http.StatusBadRequest)
	get("", configs.RoleStation, http.StatusForbidden)
	get("", "", http.StatusUnauthorized)
	resp := e.do("GET", "/api/v1/batches/"+id+"/documents/0/pages/9/image", configs.RoleStaff, nil, "")
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("a page that does not exist: %d", resp.StatusCode)
	}
}
