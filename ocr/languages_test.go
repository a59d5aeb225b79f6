package ocr

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestCheckLanguages: a requested language without its model is named
// (Tesseract would quietly run without it), in CheckLanguages and NewPool.
func TestCheckLanguages(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"vie.traineddata", "osd.traineddata"} {
		src := filepath.Join("/usr/share/tesseract-ocr/5/tessdata", f)
		if _, err := os.Stat(src); err != nil {
			t.Fatalf("%v (install tesseract-ocr-vie: scripts/deps.sh)", err)
		}
		if err := os.Symlink(src, filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := CheckLanguages("vie", dir); err != nil {
		t.Errorf("vie: %v", err)
	}
	for langs, missing := range map[string]string{"vie+fra": "fra", "fra+vie": "fra", "eng": "eng"} {
		var me *MissingLanguageError
		if err := CheckLanguages(langs, dir); !errors.As(err, &me) || len(me.Missing) != 1 || me.Missing[0] != missing {
			t.Errorf("%s: %v, want %s missing", langs, err, missing)
		}
	}
	if _, err := NewPool(1, Options{Languages: "vie+fra", TessdataDir: dir}); err == nil {
		t.Error("NewPool with vie+fra and no fra.traineddata: no error")
	}
	if err := CheckLanguages("vie+../x", dir); err == nil {
		t.Error("a language name with a path: no error")
	}
}
