package configs

import (
	"os"
	"path/filepath"
	"testing"
)

func TestExampleIsDefault(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte(Example), 0o644)
	c, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if *c != *Default() {
		t.Errorf("example config %+v differs from defaults %+v", *c, *Default())
	}
}

func TestEnvOverrides(t *testing.T) {
	c, err := Load("", []string{"SOHOA_ISOLATED=true", "SOHOA_OCR_LANGUAGES=vie+eng", "SOHOA_WORKERS=3", "SOHOA_OCR_MINCONFIDENCE=55.5"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Isolated || c.OCR.Languages != "vie+eng" || c.Workers != 3 || c.OCR.MinConfidence != 55.5 {
		t.Errorf("overrides not applied: %+v", c)
	}
	if _, err := Load("", []string{"SOHOA_WORKERS=many"}); err == nil {
		t.Error("bad SOHOA_WORKERS accepted")
	}
}

func TestUnknownKeyRefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte("isolatd: true\n"), 0o644)
	if _, err := Load(p, nil); err == nil {
		t.Error("misspelt key accepted")
	}
}
