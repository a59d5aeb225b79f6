package bag

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// linkSource writes content to a new file outside any bag and returns its path.
func linkSource(t *testing.T, content string) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "p1.jpg")
	if err := os.WriteFile(src, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return src
}

// sourceUnchanged fails t unless the file at src still holds content.
func sourceUnchanged(t *testing.T, src, content string) {
	t.Helper()
	got, err := os.ReadFile(src)
	if err != nil {
		t.Fatalf("source: %v", err)
	}
	if string(got) != content {
		t.Fatalf("source changed: %q, want %q", got, content)
	}
}

// stagingBag starts a bag created with NoSync, aborted when the test ends.
func stagingBag(t *testing.T) *Writer {
	t.Helper()
	w, err := Create(filepath.Join(t.TempDir(), "b1"), CreateOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Abort() })
	return w
}

// mustLink adds src to w as data/name with AddPayloadLink.
func mustLink(t *testing.T, w *Writer, name, src string) Entry {
	t.Helper()
	e, err := w.AddPayloadLink(name, src)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestAddPayloadLink: the file enters the bag without a copy (it is src),
// its entry is of its bytes, the bag validates, and neither finishing nor
// removing the bag touches src.
func TestAddPayloadLink(t *testing.T) {
	const content = "jpeg bytes"
	src := linkSource(t, content)
	w := stagingBag(t)
	dir := w.final
	e := mustLink(t, w, "originals/a/p1.jpg", src)
	if e.Path != "data/originals/a/p1.jpg" || e.SHA256 != digest(content) || e.Size != int64(len(content)) {
		t.Fatalf("entry %+v, want data/originals/a/p1.jpg %s %d", e, digest(content), len(content))
	}
	if _, err := w.Finish(Info{{"External-Identifier", "b1"}}); err != nil {
		t.Fatal(err)
	}
	in, _ := os.Stat(filepath.Join(dir, "data/originals/a/p1.jpg"))
	out, _ := os.Stat(src)
	if in == nil || out == nil || !os.SameFile(in, out) {
		t.Fatal("the bag's file is not a link to the source")
	}
	if probs, err := Validate(dir); err != nil || len(probs) != 0 {
		t.Fatalf("bag: %v %v", probs, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	sourceUnchanged(t, src, content)
}

// TestAddPayloadLinkAddedAgain: a file added again at a linked file's
// name replaces the link; it is never written through it into the source.
func TestAddPayloadLinkAddedAgain(t *testing.T) {
	const content = "jpeg bytes"
	src := linkSource(t, content)
	w := stagingBag(t)
	mustLink(t, w, "x.jpg", src)
	e, err := w.AddPayload("x.jpg", strings.NewReader("other"))
	if err != nil {
		t.Fatal(err)
	}
	if e.SHA256 != digest("other") {
		t.Errorf("entry %+v, want the new content's digest", e)
	}
	sourceUnchanged(t, src, content)
	if err := w.Remove("data/x.jpg"); err != nil {
		t.Fatal(err)
	}
	mustLink(t, w, "y.jpg", src)
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	sourceUnchanged(t, src, content)
}

// TestAddPayloadLinkChangedSource: the digest is of the bytes the bag's file
// holds, read once it is linked: a source changed in place after its
// identity was taken elsewhere is seen by the entry, and a change after
// the link is found by Validate (the manifest is of the bytes linked).
func TestAddPayloadLinkChangedSource(t *testing.T) {
	src := linkSource(t, "as processed")
	if err := os.WriteFile(src, []byte("changed since"), 0o644); err != nil {
		t.Fatal(err)
	}
	w := stagingBag(t)
	dir := w.final
	e := mustLink(t, w, "p1.jpg", src)
	if e.SHA256 != digest("changed since") {
		t.Fatalf("entry %+v: not the digest of the bytes in the bag", e)
	}
	if _, err := w.Finish(nil); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(src, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("C"), 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	probs, err := Validate(dir)
	if err != nil || len(probs) != 1 || !strings.Contains(probs[0].String(), "data/p1.jpg: checksum mismatch") {
		t.Fatalf("a linked file changed in place: %v %v, want data/p1.jpg: checksum mismatch", probs, err)
	}
}

// TestAddPayloadLinkIrregular: a symbolic link is refused, as its target
// might be anything, and nothing is left in the bag.
func TestAddPayloadLinkIrregular(t *testing.T) {
	src := linkSource(t, "jpeg bytes")
	sym := filepath.Join(t.TempDir(), "sym.jpg")
	if err := os.Symlink(src, sym); err != nil {
		t.Fatal(err)
	}
	w := stagingBag(t)
	if _, err := w.AddPayloadLink("p1.jpg", sym); !errors.Is(err, ErrIrregular) {
		t.Fatalf("a symbolic link: %v, want ErrIrregular", err)
	}
	if _, err := os.Lstat(filepath.Join(w.Dir(), "data/p1.jpg")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused file was left in the bag: %v", err)
	}
	if len(w.Payload()) != 0 {
		t.Errorf("payload %v, want none", w.Payload())
	}
	sourceUnchanged(t, src, "jpeg bytes")
}

// TestAddPayloadLinkCopies: where a hard link cannot be made (another file
// system), the file is copied.
func TestAddPayloadLinkCopies(t *testing.T) {
	const content = "jpeg bytes"
	src := linkSource(t, content)
	w := stagingBag(t)
	w.link = func(string, string) error { return &os.LinkError{Op: "link", Err: syscall.EXDEV} }
	e := mustLink(t, w, "p1.jpg", src)
	if e.SHA256 != digest(content) {
		t.Errorf("entry %+v", e)
	}
	in, _ := os.Stat(filepath.Join(w.Dir(), "data/p1.jpg"))
	out, _ := os.Stat(src)
	if in == nil || os.SameFile(in, out) {
		t.Fatalf("not a copy: %v", in)
	}
	sourceUnchanged(t, src, content)
}

// TestNoSync: a bag syncs every file it writes, payload and tag files,
// unless it was created with NoSync (a staging bag).
func TestNoSync(t *testing.T) {
	for _, noSync := range []bool{false, true} {
		w, err := Create(filepath.Join(t.TempDir(), "b1"), CreateOptions{NoSync: noSync})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.AddPayload("a.txt", strings.NewReader("a")); err != nil {
			t.Fatal(err)
		}
		if _, err := w.AddPayloadLink("b.jpg", linkSource(t, "b")); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Finish(nil); err != nil {
			t.Fatal(err)
		}
		want := 2 + 4 // a.txt, b.jpg; bagit.txt, bag-info.txt, the manifest and tag manifest
		if noSync {
			want = 0
		}
		if w.Synced() != want {
			t.Errorf("NoSync %v: %d files synced, want %d", noSync, w.Synced(), want)
		}
	}
}
