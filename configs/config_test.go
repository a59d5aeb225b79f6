package configs

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestExampleIsDefault(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte(Example), 0o644)
	c, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
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

func TestS3Credentials(t *testing.T) {
	dir := t.TempDir()
	ak, sk := filepath.Join(dir, "access"), filepath.Join(dir, "secret")
	os.WriteFile(ak, []byte("file-access\n"), 0o600)
	os.WriteFile(sk, []byte("file-secret\n"), 0o600)
	p := filepath.Join(dir, "c.yaml")
	os.WriteFile(p, []byte("s3:\n  accessKeyFile: "+ak+"\n  secretKeyFile: "+sk+"\n"), 0o644)
	c, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.S3.AccessKey != "file-access" || c.S3.SecretKey != "file-secret" {
		t.Errorf("keys from files: %q %q", c.S3.AccessKey, c.S3.SecretKey)
	}
	c, err = Load(p, []string{EnvS3AccessKey + "=env-access", EnvS3SecretKey + "=env-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if c.S3.AccessKey != "env-access" || c.S3.SecretKey != "env-secret" {
		t.Errorf("keys from the environment: %q %q", c.S3.AccessKey, c.S3.SecretKey)
	}
	// Keys cannot be written into the YAML file itself.
	os.WriteFile(p, []byte("s3:\n  accessKey: x\n"), 0o644)
	if _, err := Load(p, nil); err == nil {
		t.Error("s3.accessKey in the file accepted")
	}
	if _, err := Load("", []string{"SOHOA_RETENTION_MODE=forever"}); err == nil {
		t.Error("bad retention mode accepted")
	}
	c, err = Load("", []string{"SOHOA_REDIS_URL=redis://r:6380/2", "SOHOA_S3_ARCHIVEBUCKET=arch", "SOHOA_QUEUE_CONCURRENCY=3"})
	if err != nil || c.Redis.URL != "redis://r:6380/2" || c.S3.ArchiveBucket != "arch" || c.Queue.Concurrency != 3 {
		t.Errorf("overrides: %+v, %v", c, err)
	}
}

func TestFixitySchedule(t *testing.T) {
	for _, spec := range []string{"@daily", "0 20 * * *", "@every 12h", "none"} {
		if _, err := Load("", []string{"SOHOA_FIXITY_SCHEDULE=" + spec}); err != nil {
			t.Errorf("schedule %q refused: %v", spec, err)
		}
	}
	for _, spec := range []string{"", "daily", "61 * * * *"} {
		if _, err := Load("", []string{"SOHOA_FIXITY_SCHEDULE=" + spec}); err == nil {
			t.Errorf("schedule %q accepted", spec)
		}
	}
}

func TestServerTokens(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	sum := "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"
	os.WriteFile(p, []byte("server:\n  tokens:\n    - {name: a, role: staff, sha256: "+sum+"}\n"), 0o644)
	c, err := Load(p, nil)
	if err != nil || len(c.Server.Tokens) != 1 || c.Server.Tokens[0].Role != RoleStaff {
		t.Fatalf("tokens: %+v %v", c, err)
	}
	for _, bad := range []string{"{role: root, sha256: " + sum + "}", "{role: staff, sha256: abc}", "{role: staff, sha256: " + strings.ToUpper(sum) + "}"} {
		os.WriteFile(p, []byte("server:\n  tokens:\n    - "+bad+"\n"), 0o644)
		if _, err := Load(p, nil); err == nil {
			t.Errorf("token %s accepted", bad)
		}
	}
	if _, err := Load("", []string{"SOHOA_SERVER_MAXUPLOADMB=0"}); err == nil {
		t.Error("maxUploadMB 0 accepted")
	}
}

func TestOCRDropout(t *testing.T) {
	for _, v := range []string{"red,blue", "red", "blue", "none", "", " Red , BLUE "} {
		c := Default()
		c.OCR.Dropout = v
		if err := c.Check(); err != nil {
			t.Errorf("ocr.dropout %q refused: %v", v, err)
		}
	}
	for _, v := range []string{"green", "red;blue", "red,black"} {
		c := Default()
		c.OCR.Dropout = v
		if err := c.Check(); err == nil || !strings.Contains(err.Error(), "ocr.dropout") {
			t.Errorf("ocr.dropout %q: error %v, want one naming ocr.dropout", v, err)
		}
	}
}

// TestPDFPSNR checks the fidelity floor: pdf.psnr under 35 dB is refused, from the file or the
// environment.
func TestPDFPSNR(t *testing.T) {
	for _, v := range []string{"0", "35", "37", "42.5"} {
		if _, err := Load("", []string{"SOHOA_PDF_PSNR=" + v}); err != nil {
			t.Errorf("pdf.psnr %s refused: %v", v, err)
		}
	}
	for _, v := range []string{"34.9", "20", "-1", "NaN", "101"} {
		if _, err := Load("", []string{"SOHOA_PDF_PSNR=" + v}); err == nil || !strings.Contains(err.Error(), "pdf.psnr") {
			t.Errorf("pdf.psnr %s: error %v, want one naming pdf.psnr", v, err)
		}
	}
}
