package configs

import (
	"fmt"
	"os"
	"strings"
)

// Copy is one independent copy of the archive besides the primary archive
// bucket (TT 05/2025 Art. 27: at least two backup sets on independent media):
// another S3 endpoint or bucket, with its own credentials, or a folder on
// another disk. Each has its own retention.
type Copy struct {
	Name string `yaml:"name"` // how status, logs and records name it ("ban-sao-1")
	// Path is a local folder (another disk) holding the copy; or else:
	Path          string `yaml:"path"`
	Endpoint      string `yaml:"endpoint"` // S3 host:port, without scheme
	Secure        bool   `yaml:"secure"`
	Region        string `yaml:"region"`
	Bucket        string `yaml:"bucket"`
	AccessKeyFile string `yaml:"accessKeyFile"` // file holding the copy's access key
	SecretKeyFile string `yaml:"secretKeyFile"` // file holding the copy's secret key
	// Retention is the lock put on the copy's objects.
	Retention Retention `yaml:"retention"`

	// AccessKey and SecretKey are read from the key files, never from YAML or flags.
	AccessKey string `yaml:"-"`
	SecretKey string `yaml:"-"`
}

// Backup holds the settings of the copies' checks.
type Backup struct {
	// CheckPeriodDays is the period within which the scheduled fixity check
	// reads the whole holdings once, a share each day (default 365; TT 05
	// allows at most three years).
	CheckPeriodDays int `yaml:"checkPeriodDays"`
}

// PrimaryName is how the primary archive store is named next to the copies.
const PrimaryName = "chinh"

// readCopyCredentials reads each S3 copy's keys from its files, and gives a
// copy without a retention the primary's.
func (c *Config) readCopyCredentials() error {
	for i := range c.Copies {
		cp := &c.Copies[i]
		if cp.Retention.Mode == "" {
			cp.Retention = c.Retention
		}
		for _, f := range []struct {
			dst  *string
			file string
		}{{&cp.AccessKey, cp.AccessKeyFile}, {&cp.SecretKey, cp.SecretKeyFile}} {
			if f.file == "" {
				continue
			}
			data, err := os.ReadFile(f.file)
			if err != nil {
				return fmt.Errorf("config: copies[%d] (%s) credentials: %w", i, cp.Name, err)
			}
			*f.dst = strings.TrimSpace(string(data))
		}
	}
	return nil
}

// checkCopies reports the first copy setting that is wrong.
func (c *Config) checkCopies() error {
	if c.Backup.CheckPeriodDays < 1 || c.Backup.CheckPeriodDays > 3*366 {
		return fmt.Errorf("config: backup.checkPeriodDays %d: must be from 1 to 1098 (TT 05: the whole holdings within three years)", c.Backup.CheckPeriodDays)
	}
	seen := map[string]bool{PrimaryName: true}
	for i, cp := range c.Copies {
		switch {
		case cp.Name == "" || strings.ContainsAny(cp.Name, " /\t"):
			return fmt.Errorf("config: copies[%d].name %q: must be a word without spaces or slashes", i, cp.Name)
		case seen[cp.Name]:
			return fmt.Errorf("config: copies[%d].name %q: used twice (%q names the primary archive)", i, cp.Name, PrimaryName)
		case (cp.Path == "") == (cp.Bucket == ""):
			return fmt.Errorf("config: copies[%d] (%s): give exactly one of path and bucket", i, cp.Name)
		case cp.Bucket != "" && cp.Endpoint == "":
			return fmt.Errorf("config: copies[%d] (%s): bucket needs an endpoint", i, cp.Name)
		case cp.Bucket != "" && cp.Endpoint == c.S3.Endpoint && cp.Bucket == c.S3.ArchiveBucket:
			return fmt.Errorf("config: copies[%d] (%s) is the primary archive bucket itself", i, cp.Name)
		case cp.Retention.Mode != "GOVERNANCE" && cp.Retention.Mode != "COMPLIANCE" && cp.Retention.Mode != "none":
			return fmt.Errorf("config: copies[%d].retention.mode %q: must be GOVERNANCE, COMPLIANCE or none", i, cp.Retention.Mode)
		case cp.Retention.Mode != "none" && cp.Retention.Years < 1:
			return fmt.Errorf("config: copies[%d].retention.years %d: must be 1 or more", i, cp.Retention.Years)
		}
		seen[cp.Name] = true
	}
	return nil
}
