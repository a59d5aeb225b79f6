package bag_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/handover/handovertest"
)

// writableBag makes a valid bag and returns its folder, made writable so a
// test can tamper with it, and one of its payload files.
func writableBag(t *testing.T) (string, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "b")
	sums := handovertest.MakeBag(t, dir, "b", 3)
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	for rel := range sums {
		if strings.HasSuffix(rel, ".1.pdf") {
			return dir, rel
		}
	}
	t.Fatal("no payload file .1.pdf in the bag")
	return "", ""
}

// TestIrregularEntries is issue 12 item 15: anything in a bag that is not a
// regular file or a folder is refused without being opened or followed (a
// symlink to /dev/zero or a FIFO would block the check for ever; a symlink to
// an outside file with the right content would pass), and so is an empty folder.
func TestIrregularEntries(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, dir, file string) string // returns the path of the problem
		want   string
	}{
		{"listed file replaced by a symlink to /dev/zero", func(t *testing.T, dir, file string) string {
			p := filepath.Join(dir, file)
			os.Remove(p)
			if err := os.Symlink("/dev/zero", p); err != nil {
				t.Fatal(err)
			}
			return file
		}, "symbolic link"},
		{"listed file replaced by a FIFO", func(t *testing.T, dir, file string) string {
			p := filepath.Join(dir, file)
			os.Remove(p)
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Fatal(err)
			}
			return file
		}, "FIFO"},
		{"listed file replaced by a symlink to an outside copy", func(t *testing.T, dir, file string) string {
			p := filepath.Join(dir, file)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			outside := filepath.Join(t.TempDir(), "copy.pdf")
			if err := os.WriteFile(outside, data, 0o644); err != nil {
				t.Fatal(err)
			}
			os.Remove(p)
			if err := os.Symlink(outside, p); err != nil {
				t.Fatal(err)
			}
			return file
		}, "symbolic link"},
		{"unlisted FIFO in data", func(t *testing.T, dir, file string) string {
			if err := syscall.Mkfifo(filepath.Join(dir, "data", "pipe"), 0o644); err != nil {
				t.Fatal(err)
			}
			return "data/pipe"
		}, "FIFO"},
		{"symlink to a folder", func(t *testing.T, dir, file string) string {
			if err := os.Symlink("/etc", filepath.Join(dir, "data", "etc")); err != nil {
				t.Fatal(err)
			}
			return "data/etc"
		}, "symbolic link"},
		{"empty folder", func(t *testing.T, dir, file string) string {
			if err := os.Mkdir(filepath.Join(dir, "data", "rỗng"), 0o755); err != nil {
				t.Fatal(err)
			}
			return "data/rỗng/"
		}, "empty folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, file := writableBag(t)
			where := tt.tamper(t, dir, file)
			probs, err := bag.ValidateContext(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range probs {
				if p.Kind == bag.KindIrregular && p.Path == where && strings.Contains(p.What, tt.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("problems %v, want a %s problem for %s (%s)", probs, bag.KindIrregular, where, tt.want)
			}
		})
	}
}

// TestValidateCancelled is issue 12 item 15: a cancelled check stops while
// hashing (here a 4 GB sparse file) and says so, instead of running on.
func TestValidateCancelled(t *testing.T) {
	dir, file := writableBag(t)
	if err := os.Truncate(filepath.Join(dir, file), 4<<30); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := bag.ValidateContext(ctx, dir); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled validation: %v, want context.Canceled", err)
	}
	_, _, err := bag.HashRegular(ctx, filepath.Join(dir, file))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled hash: %v, want context.Canceled", err)
	}
}
