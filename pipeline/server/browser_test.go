package server

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
)

// artifactsDir is where the browser test leaves its screenshots: $SOHOA_TEST_ARTIFACTS, else out/artifacts.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SOHOA_TEST_ARTIFACTS")
	if dir == "" {
		dir = "../../out/artifacts"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// chromium finds the Chromium installed by scripts/deps.sh; the test fails without it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium not found: run scripts/deps.sh (Debian package chromium)")
	return ""
}

// browser starts headless Chromium (exe) for the test, and returns its
// context (8 minutes at most) and an action saving a full screenshot as an artefact.
func browser(t *testing.T, exe string) (context.Context, func(name string) chromedp.Action[chromedp.Void]) {
	t.Helper()
	art := artifactsDir(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 1000))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 8*time.Minute)
	t.Cleanup(cancel)
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			buf, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return err
			}
			p := filepath.Join(art, name)
			t.Logf("screenshot %s", p)
			return os.WriteFile(p, buf, 0o644)
		})
	}
	return ctx, shot
}

// css is a CSS selector for chromedp.
func css(s string) chromedp.CSS { return chromedp.CSS(s) }

// TestBrowser drives the dashboard with headless Chromium: log in with a user name and password, watch a
// batch with a corrupt page in the list and in its detail (live, without
// reloading), press Retry on the failed page, and see the batch finish.
// Screenshots of the batch list and the batch detail are saved as artefacts.
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	e := newEnv(t, 64<<20)
	e.addUser("lan.nguyen", configs.RoleStaff, "mật-khẩu-của-lan")
	id := e.upload(batchFiles(t, "web-browser-1", true))
	e.startWorker(1)
	ctx, shot := browser(t, exe)
	row := `tr[data-batch="` + id + `"]`
	// Not logged in: the dashboard sends the browser to the login page.
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.url+"/"),
		chromedp.WaitVisible(css(`#user`)),
		chromedp.SendKeys(css(`#user`), "lan.nguyen"),
		chromedp.SendKeys(css(`#password`), "mật-khẩu-của-lan"),
		chromedp.Click(css(`#login`)),
		chromedp.WaitVisible(css(row)),
	)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil || title != "Số hóa tài liệu lưu trữ" {
		t.Errorf("title %q, %v: want the Vietnamese dashboard", title, err)
	}
	// On the list, the batch moves to its end state without a reload.
	before, err := chromedp.Run(ctx, chromedp.AttributeValue(css(row), "class"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(before.Value, "state-incomplete") {
		t.Errorf("batch row %q: the batch finished before the list could watch it", before.Value)
	}
	err = chromedp.Do(ctx,
		chromedp.WaitVisible(css(row+`.state-incomplete`)),
		shot("batch-list.png"),
	)
	if err != nil {
		t.Fatalf("watching the batch finish: %v", err)
	}
	// The detail page shows the failed page with its reason; press Retry.
	err = chromedp.Do(ctx,
		chromedp.Click(css(row+` a`)),
		// The failed page appears in the failure list; its link opens it.
		chromedp.WaitVisible(css(`#failures a[href="#page-0-1"]`)),
		chromedp.Click(css(`#failures a[href="#page-0-1"]`)),
		chromedp.WaitVisible(css(`#page-0-1.state-failed`)),
	)
	if err != nil {
		t.Fatalf("failed page: %v", err)
	}
	// The reason is a sentence and an action; the technical text is folded under it.
	reason, err := chromedp.Run(ctx, chromedp.Text(css(`#page-0-1 .reason`)))
	if err != nil || !strings.Contains(reason, "Tệp ảnh bị hỏng, không đọc được: quét lại trang này") {
		t.Errorf("failed page reason %q, %v", reason, err)
	}
	tech, err := chromedp.Run(ctx, chromedp.TextContent(css(`#page-0-1 details.tech`)))
	if err != nil || !strings.Contains(tech, "decode") {
		t.Errorf("failed page technical details %q, %v", tech, err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(css(`#retry-page-0-1`)),
		chromedp.WaitVisible(css(`#page-0-1`)),
	)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if msg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById("error") || {}).textContent || ""`)); err != nil || msg != "" {
		t.Fatalf("retry refused: %q %v", msg, err)
	}
	// The page runs again (and, still corrupt, fails again); the detail page
	// follows it live.
	e.waitRetried(id, 1, testenv.WaitLimit)
	err = chromedp.Do(ctx,
		chromedp.WaitVisible(css(`#page-2-1 img`)),
		chromedp.WaitVisible(css(`#page-0-1.state-failed`)),
	)
	if err != nil {
		t.Fatalf("after the retry: %v", err)
	}
	// Every thumbnail has loaded and shows a picture.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.images.length == 2 && Array.from(document.images).every(i => i.complete && i.naturalWidth == 240)`)); err != nil {
		t.Fatalf("thumbnails: %v", err)
	}
	err = chromedp.Do(ctx,
		shot("batch-detail.png"),
	)
	if err != nil {
		t.Fatalf("retry and watching the batch finish: %v", err)
	}
	// English on request, remembered.
	err = chromedp.Do(ctx, chromedp.Click(css(`#lang`)), chromedp.WaitVisible(css(`#page-0-1`)),
		chromedp.Navigate(e.url+"/"), chromedp.WaitVisible(css(row)))
	if err != nil {
		t.Fatalf("English: %v", err)
	}
	if title, err := chromedp.Run(ctx, chromedp.Title()); err != nil || title != "Archive digitization" {
		t.Errorf("title after switching to English: %q, %v", title, err)
	}
	// The queue monitor loads behind the same login and lists the queue (its API answers through the cookie).
	err = chromedp.Do(ctx, chromedp.Navigate(e.url+"/monitor/"))
	if err == nil {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.body.innerText.includes("default")`))
	}
	if err != nil {
		t.Errorf("queue monitor: %v", err)
	} else if err := chromedp.Do(ctx, shot("monitor.png")); err != nil {
		t.Error(err)
	}
	var sum struct{ Batches []*BatchSummary }
	e.getJSON("/api/v1/batches", configs.RoleStaff, http.StatusOK, &sum)
	if len(sum.Batches) != 1 || sum.Batches[0].PagesFailed != 1 || sum.Batches[0].PagesDone != 2 {
		t.Errorf("batch after the browser run: %+v", sum.Batches[0].BatchStatus)
	}
	if v := e.metric(`sohoa_pages_failed_total{stage="decode"}`); v != 2 {
		t.Errorf("decode failures = %v, want 2: the Retry button did not run the page again", v)
	}
}
