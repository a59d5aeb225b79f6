package bag

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeBag(t *testing.T, dir string, opts CreateOptions) {
	t.Helper()
	w, err := Create(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddPayload("H49.01/H49.01.1.pdf", strings.NewReader("%PDF-1.4 fake")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddPayload("originals/a b.jpg", strings.NewReader("jpeg bytes")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddTag(BatchRecordFile, strings.NewReader(`{"id":"b1"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Finish(Info{{"Source-Organization", "Sở Nội vụ"}, {"External-Identifier", "b1"}}); err != nil {
		t.Fatal(err)
	}
}

func TestWriteValidate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "b1")
	writeBag(t, dir, CreateOptions{})
	probs, err := Validate(dir)
	if err != nil || len(probs) != 0 {
		t.Fatalf("fresh bag: %v %v", probs, err)
	}
	info, err := ReadInfo(filepath.Join(dir, InfoFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Get("Payload-Oxum"); got != "23.2" {
		t.Errorf("Payload-Oxum = %q, want 23.2", got)
	}
	if info.Get("Source-Organization") != "Sở Nội vụ" || info.Get("Bagging-Date") == "" {
		t.Errorf("bag-info = %v", info)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("temporary directories left behind: %v", entries)
	}
}

func TestValidateDetects(t *testing.T) {
	cases := map[string]struct {
		change func(dir string) error
		want   string
	}{
		"flipped byte": {func(d string) error {
			return os.WriteFile(filepath.Join(d, "data/H49.01/H49.01.1.pdf"), []byte("%PDF-1.4 fakf"), 0o644)
		}, "data/H49.01/H49.01.1.pdf: checksum mismatch"},
		"deleted": {func(d string) error { return os.Remove(filepath.Join(d, "data/originals/a b.jpg")) },
			"data/originals/a b.jpg: missing"},
		"extra": {func(d string) error { return os.WriteFile(filepath.Join(d, "data/x.txt"), []byte("x"), 0o644) },
			"data/x.txt: not listed"},
		"tag edited": {func(d string) error {
			return os.WriteFile(filepath.Join(d, BatchRecordFile), []byte(`{"id":"b2"}`), 0o644)
		}, "metadata/batch.json: checksum mismatch"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "b1")
			writeBag(t, dir, CreateOptions{})
			if err := c.change(dir); err != nil {
				t.Fatal(err)
			}
			probs, err := Validate(dir)
			if err != nil {
				t.Fatal(err)
			}
			var all []string
			for _, p := range probs {
				all = append(all, p.String())
			}
			if !strings.Contains(strings.Join(all, "\n"), c.want) {
				t.Errorf("problems %q do not mention %q", all, c.want)
			}
		})
	}
}

func TestCreateRefusesExisting(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "b1")
	writeBag(t, dir, CreateOptions{})
	if _, err := Create(dir, CreateOptions{}); !errors.Is(err, ErrExists) {
		t.Fatalf("Create over a finished bag: err = %v, want ErrExists", err)
	}
	writeBag(t, dir, CreateOptions{Overwrite: true})
	if probs, _ := Validate(dir); len(probs) != 0 {
		t.Fatalf("overwritten bag invalid: %v", probs)
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	parent := t.TempDir()
	w, err := Create(filepath.Join(parent, "b1"), CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.AddPayload("x", strings.NewReader("x"))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}

func TestUpdateInfoKeepsTheBagValid(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "b")
	w, err := Create(dir, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddPayload("a.txt", strings.NewReader("a")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Finish(Info{{"External-Identifier", "b"}}); err != nil {
		t.Fatal(err)
	}
	in, err := ReadInfo(filepath.Join(dir, InfoFile))
	if err != nil {
		t.Fatal(err)
	}
	in = append(in, Field{"Previous-Seal-SHA256", strings.Repeat("0", 64)})
	if err := UpdateInfo(dir, in); err != nil {
		t.Fatal(err)
	}
	if probs, err := Validate(dir); err != nil || len(probs) > 0 {
		t.Fatalf("after UpdateInfo: %v %v", probs, err)
	}
	got, _ := ReadInfo(filepath.Join(dir, InfoFile))
	if got.Get("Previous-Seal-SHA256") != strings.Repeat("0", 64) || got.Get("Payload-Oxum") != "1.1" {
		t.Errorf("bag-info after UpdateInfo: %v", got)
	}
}
