package configs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCopiesConfig(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	os.WriteFile(key, []byte(" khoa-bi-mat \n"), 0o600)
	load := func(yaml string) (*Config, error) {
		p := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		return Load(p, nil)
	}
	c, err := load("copies:\n  - {name: ban-sao-1, endpoint: 10.0.0.2:9000, bucket: b, accessKeyFile: " + key + ", secretKeyFile: " + key + "}\n" +
		"  - {name: dia-2, path: /mnt/d2, retention: {mode: none}}\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Copies) != 2 || c.Copies[0].AccessKey != "khoa-bi-mat" || c.Copies[0].SecretKey != "khoa-bi-mat" ||
		c.Copies[0].Retention != c.Retention || c.Copies[1].Retention.Mode != "none" || c.Backup.CheckPeriodDays != 365 {
		t.Errorf("copies %+v, backup %+v", c.Copies, c.Backup)
	}
	for yaml, want := range map[string]string{
		"copies:\n  - {name: chinh, path: /x}\n":                                    "used twice",
		"copies:\n  - {name: a, path: /x}\n  - {name: a, path: /y}\n":               "used twice",
		"copies:\n  - {name: a, path: /x, bucket: b, endpoint: e}\n":                "exactly one of path and bucket",
		"copies:\n  - {name: a}\n":                                                  "exactly one of path and bucket",
		"copies:\n  - {name: a, bucket: b}\n":                                       "needs an endpoint",
		"copies:\n  - {name: a, endpoint: 127.0.0.1:9000, bucket: sohoa-archive}\n": "the primary archive bucket itself",
		"copies:\n  - {name: 'a b', path: /x}\n":                                    "without spaces",
		"copies:\n  - {name: a, path: /x, retention: {mode: x}}\n":                  "retention.mode",
		"backup:\n  checkPeriodDays: 2000\n":                                        "three years",
	} {
		if _, err := load(yaml); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", yaml, err, want)
		}
	}
}
