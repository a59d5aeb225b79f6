package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOriginalRemovedMidRun is issue 12 item 12: an original removed while
// the batch is processed (after its page was read) fails only its document;
// the others are packaged and the run ends incomplete, not aborted.
func TestOriginalRemovedMidRun(t *testing.T) {
	dir := makeBatch(t, map[string]string{
		"H49.64.33.2019.01.VTLT/1/p1.jpg": "@bb-giao-nhan-p01.jpg",
		"H49.64.33.2019.01.VTLT/2/p1.jpg": "@bb-giao-nhan-p01.jpg",
	})
	b, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const victim = "H49.64.33.2019.01.VTLT/2/p1.jpg"
	removed := false
	opts := Options{Workers: 1, OnPage: func(ev PageEvent) {
		// The page was read and recognised; its document is not packaged yet.
		if ev.Page.File == victim && ev.Err == nil {
			removed = os.Remove(filepath.Join(dir, filepath.FromSlash(victim))) == nil
		}
	}}
	rep, err := Process(context.Background(), b, t.TempDir(), opts)
	if !removed {
		t.Fatal("the original was not removed during the run")
	}
	if !errors.Is(err, ErrIncomplete) || rep == nil {
		t.Fatalf("Process = %v, want ErrIncomplete with a report", err)
	}
	if rep.DocumentsDone != 1 || len(rep.Failures) != 1 {
		t.Fatalf("report: %d documents done, failures %+v; want 1 and the removed one", rep.DocumentsDone, rep.Failures)
	}
	f := rep.Failures[0]
	if f.File != victim || f.Stage != StagePackage || !strings.Contains(f.Reason, "removed or became unreadable") {
		t.Errorf("failure %+v", f)
	}
}
