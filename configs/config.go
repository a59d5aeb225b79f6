// Package configs holds sohoa's configuration: its settings and defaults,
// loading from a YAML file with environment overrides, and the documented
// example file sohoa.example.yaml.
package configs

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// Example is the documented example configuration.
//
//go:embed sohoa.example.yaml
var Example string

// Config is sohoa's configuration. The zero value is usable: every setting has a default.
type Config struct {
	Isolated bool `yaml:"isolated"` // secret documents allowed (isolated installation only)
	Workers  int  `yaml:"workers"`  // pages processed at once; 0 = number of cores
	OCR      OCR  `yaml:"ocr"`
	Scan     Scan `yaml:"scan"`
	PDF      PDF  `yaml:"pdf"`
	Seal     Seal `yaml:"seal"`
	// Packages holds the codes written into the AIP_hoso / SIP_hoso packages.
	Packages Packages `yaml:"packages"`

	Redis     Redis     `yaml:"redis"`
	S3        S3        `yaml:"s3"`
	Queue     Queue     `yaml:"queue"`
	Retention Retention `yaml:"retention"`
	Fixity    Fixity    `yaml:"fixity"`
	Server    Server    `yaml:"server"`
	// Copies are the archive's independent copies (see Copy); a complete
	// package is stored, locked and verified in each.
	Copies []Copy `yaml:"copies"`
	Backup Backup `yaml:"backup"`
	Review Review `yaml:"review"`
}

// Review holds the review step of the queue (issue 16): a person checks a
// batch's documents before its package is assembled, signed and locked.
type Review struct {
	// Required holds a batch processed by the queue in state review until a
	// reviewer approves it; only then is its package assembled, sealed and
	// locked. "sohoa process" (no server) never waits for a review.
	Required bool `yaml:"required"`
	// Sample is the share (0 to 1) of the documents without a flag that a
	// reviewer must accept, chosen deterministically from the batch id; every
	// flagged document is reviewed whatever the share.
	Sample float64 `yaml:"sample"`
	// Place is where the inspection record is drawn up (e.g. "Hà Nội"),
	// printed before its date; empty leaves the form's blank.
	Place string `yaml:"place"`
}

// Server holds the settings of "sohoa serve": the dashboard, the HTTP API and the metrics.
type Server struct {
	Addr string `yaml:"addr"` // host:port to listen on
	// MaxUploadMB is the largest batch upload accepted, in MiB.
	MaxUploadMB int `yaml:"maxUploadMB"`
	// SecureCookie marks the dashboard's login cookie Secure (HTTPS only). Turn
	// it off only for a server reached over plain HTTP on a trusted network.
	SecureCookie bool `yaml:"secureCookie"`
	// Tokens are the API tokens, stored as SHA-256 hashes ("sohoa token create" prints one).
	Tokens []Token `yaml:"tokens"`
}

// Token is an API token's hash and role.
type Token struct {
	Name   string `yaml:"name"`   // who holds it, for the logs
	Role   string `yaml:"role"`   // station, staff, officer, reviewer or admin
	SHA256 string `yaml:"sha256"` // lower-case hex SHA-256 of the token
}

// Token roles.
const (
	RoleStation  = "station"  // uploads batches
	RoleStaff    = "staff"    // views batches, retries failures
	RoleOfficer  = "officer"  // downloads sealed packages (and views)
	RoleAdmin    = "admin"    // everything, including the queue monitor
	RoleReviewer = "reviewer" // reviews batches: accepts, corrects, rejects documents, approves batches
)

// Redis says where the task queue and the batch state are kept.
type Redis struct {
	URL string `yaml:"url"` // redis://[:password@]host:port/db
}

// S3 says where originals, intermediate results and finished packages are kept.
type S3 struct {
	Endpoint      string `yaml:"endpoint"` // host:port, without scheme
	Secure        bool   `yaml:"secure"`   // HTTPS
	Region        string `yaml:"region"`   // empty: ask the server
	InboxBucket   string `yaml:"inboxBucket"`
	WorkBucket    string `yaml:"workBucket"`
	ArchiveBucket string `yaml:"archiveBucket"`
	AccessKeyFile string `yaml:"accessKeyFile"` // file holding the access key, when SOHOA_S3_ACCESS_KEY is unset
	SecretKeyFile string `yaml:"secretKeyFile"` // file holding the secret key, when SOHOA_S3_SECRET_KEY is unset

	// AccessKey and SecretKey are the credentials, from SOHOA_S3_ACCESS_KEY and
	// SOHOA_S3_SECRET_KEY or else the files above; never from the YAML file or flags.
	AccessKey string `yaml:"-"`
	SecretKey string `yaml:"-"`
}

// Queue holds the queue worker settings.
type Queue struct {
	Concurrency int `yaml:"concurrency"` // tasks run at once by one worker; 0 = number of cores
	Retries     int `yaml:"retries"`     // retries of a task that failed for a transient reason
	// CleanWork deletes a batch's intermediate objects from the work bucket
	// once its complete package is written (the dashboard then shows no
	// thumbnails or page details for it).
	CleanWork bool `yaml:"cleanWork"`
}

// Retention is the object lock put on finished packages in the archive bucket.
type Retention struct {
	Mode  string `yaml:"mode"`  // GOVERNANCE, COMPLIANCE or none
	Years int    `yaml:"years"` // how long packages are locked
}

// Fixity holds the settings of the periodic fixity check of the archive.
type Fixity struct {
	// Schedule is when workers run the check: a cron specification (minute hour
	// day-of-month month day-of-week, in UTC) or a descriptor ("@daily",
	// "@every 12h"); "none" turns the periodic check off.
	Schedule string `yaml:"schedule"`
}

// Environment variables holding the S3 credentials.
const (
	EnvS3AccessKey = "SOHOA_S3_ACCESS_KEY"
	EnvS3SecretKey = "SOHOA_S3_SECRET_KEY"
)

// OCR holds the recognition settings.
type OCR struct {
	Languages     string  `yaml:"languages"`     // Tesseract languages, e.g. "vie+eng"
	MinConfidence float64 `yaml:"minConfidence"` // pages under this mean confidence are flagged
	// Dropout is the ink colours left out of the image Tesseract reads, comma-separated:
	// "red,blue" (default), "red", "blue" or "none". The archived image keeps them.
	Dropout string `yaml:"dropout"`
}

// Scan holds settings about the scanned input.
type Scan struct {
	DPI float64 `yaml:"dpi"` // resolution assumed when a file records none
	// RequireColour refuses, at validation, pages scanned under 24-bit colour
	// (8-bit grey, 1-bit); otherwise they are flagged under-24-bit.
	RequireColour bool `yaml:"requireColour"`
}

// PDF holds the PDF/A writer settings.
type PDF struct {
	Part string `yaml:"part"` // "2b" or "1b"
	// PSNR is the fidelity target of re-encoded page images, in dB against the normalized
	// page as rendered at the scan's resolution: each page gets the smallest JPEG that keeps
	// it. 0 = the writer's default (37); under 35 is refused.
	PSNR        float64 `yaml:"psnr"`
	JPEGQuality int     `yaml:"jpegQuality"` // 0 = search by PSNR; else fixed, never under 35 dB
}

// Seal names the organisation's signing key and certificate, with which every
// PDF is signed (PAdES) and finished packages are sealed: a key file, or a
// key on a PKCS#11 token. Nothing is signed when neither is set. Relative
// paths are relative to the current folder. The key and the PIN are never
// taken from a flag.
type Seal struct {
	KeyFile  string `yaml:"keyFile"`  // PEM private key (PKCS#8, PKCS#1 RSA or SEC 1 EC), unencrypted
	CertFile string `yaml:"certFile"` // PEM certificate of the key, then any intermediate CA certificates (optional with pkcs11)
	// CAFile is the PEM file of the CA certificate(s) the signing certificate
	// must chain to; checked, with the validity and key usage, before signing.
	CAFile string `yaml:"caFile"`
	// TrustFile names the trust file (seal.LoadTrust): per
	// Organization-Identifier, the certificates that may sign for it.
	// handover pull and record check signers against it (--trust overrides).
	TrustFile string `yaml:"trustFile"`
	PKCS11    PKCS11 `yaml:"pkcs11"`
	// TSAURL, when set, is an RFC 3161 time-stamping authority: every PDF
	// signature gets a signature timestamp (PAdES B-T).
	TSAURL string `yaml:"tsaURL"`
	// Location is the signature's /Location (e.g. the province).
	Location string `yaml:"location"`
	// Corner is where page 1 shows the visible signature: top-right (the
	// default, in the top margin), top-left, bottom-right or bottom-left.
	Corner string `yaml:"corner"`
}

// PKCS11 says which key on a PKCS#11 token (USB token, HSM, SoftHSM2) signs.
type PKCS11 struct {
	Module     string `yaml:"module"`     // the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so
	TokenLabel string `yaml:"tokenLabel"` // the token's label, or
	Slot       string `yaml:"slot"`       // its slot number
	KeyLabel   string `yaml:"keyLabel"`   // the private key's label, or
	KeyID      string `yaml:"keyID"`      // its CKA_ID in hex
	PINFile    string `yaml:"pinFile"`    // file holding the user PIN, when SOHOA_PKCS11_PIN is unset
	// PIN is the user PIN, from SOHOA_PKCS11_PIN or else PINFile; never from
	// the YAML file or flags.
	PIN string `yaml:"-"`
}

// EnvPKCS11PIN is the environment variable holding the token's user PIN.
const EnvPKCS11PIN = "SOHOA_PKCS11_PIN"

// Enabled reports whether PDFs are signed and packages sealed.
func (s Seal) Enabled() bool { return s.KeyFile != "" || s.PKCS11.Module != "" }

// readPIN sets the PIN from the environment, or else from the PIN file.
func (p *PKCS11) readPIN(env map[string]string) error {
	if v, ok := env[EnvPKCS11PIN]; ok {
		p.PIN = v
		return nil
	}
	if p.PINFile == "" {
		return nil
	}
	b, err := os.ReadFile(p.PINFile)
	if err != nil {
		return fmt.Errorf("config: seal.pkcs11.pinFile: %w", err)
	}
	p.PIN = strings.TrimSpace(string(b))
	return nil
}

// Default returns the configuration with every default filled in.
func Default() *Config {
	return &Config{
		OCR:   OCR{Languages: "vie", MinConfidence: 70, Dropout: "red,blue"},
		PDF:   PDF{Part: "2b"},
		Redis: Redis{URL: "redis://127.0.0.1:6379/0"},
		S3: S3{Endpoint: "127.0.0.1:9000", InboxBucket: "sohoa-inbox", WorkBucket: "sohoa-work",
			ArchiveBucket: "sohoa-archive"},
		Queue:     Queue{Retries: 5},
		Retention: Retention{Mode: "GOVERNANCE", Years: 10},
		Fixity:    Fixity{Schedule: "@daily"},
		Server:    Server{Addr: "127.0.0.1:8080", MaxUploadMB: 2048, SecureCookie: true},
		Backup:    Backup{CheckPeriodDays: 365},
		Review:    Review{Required: true, Sample: 0.3},
	}
}

// Load reads the YAML file at path (none when path is ""), then applies
// environment overrides from env (os.Environ form), then checks the result.
func Load(path string, env []string) (*Config, error) {
	c := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
	}
	em := envMap(env)
	if err := applyEnv(reflect.ValueOf(c).Elem(), "SOHOA", em); err != nil {
		return nil, err
	}
	if err := c.S3.readCredentials(em); err != nil {
		return nil, err
	}
	if err := c.Seal.PKCS11.readPIN(em); err != nil {
		return nil, err
	}
	if err := c.readCopyCredentials(); err != nil {
		return nil, err
	}
	return c, c.Check()
}

// readCredentials sets the S3 keys from the environment, or else from the key files.
func (s *S3) readCredentials(env map[string]string) error {
	read := func(dst *string, envKey, file string) error {
		if v, ok := env[envKey]; ok {
			*dst = v
			return nil
		}
		if file == "" {
			return nil
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("config: s3 credentials: %w", err)
		}
		*dst = strings.TrimSpace(string(data))
		return nil
	}
	if err := read(&s.AccessKey, EnvS3AccessKey, s.AccessKeyFile); err != nil {
		return err
	}
	return read(&s.SecretKey, EnvS3SecretKey, s.SecretKeyFile)
}

// Check reports the first setting that is out of range.
func (c *Config) Check() error {
	switch {
	case c.Workers < 0:
		return fmt.Errorf("config: workers %d: must be 0 (number of cores) or more", c.Workers)
	case c.PDF.Part != "1b" && c.PDF.Part != "2b":
		return fmt.Errorf("config: pdf.part %q: must be 1b or 2b", c.PDF.Part)
	case c.PDF.PSNR != 0 && !(c.PDF.PSNR >= 35 && c.PDF.PSNR <= 100): // NaN too
		return fmt.Errorf("config: pdf.psnr %v: must be 0 (default, 37 dB) or from 35 to 100 dB", c.PDF.PSNR)
	case c.PDF.JPEGQuality < 0 || c.PDF.JPEGQuality > 100:
		return fmt.Errorf("config: pdf.jpegQuality %d: must be 1-100 (0 = default)", c.PDF.JPEGQuality)
	case c.OCR.MinConfidence < 0 || c.OCR.MinConfidence > 100:
		return fmt.Errorf("config: ocr.minConfidence %v: must be 0-100", c.OCR.MinConfidence)
	case !validDropout(c.OCR.Dropout):
		return fmt.Errorf("config: ocr.dropout %q: must be red, blue, red,blue or none", c.OCR.Dropout)
	case c.Scan.DPI != 0 && !(c.Scan.DPI >= 50 && c.Scan.DPI <= 2400): // NaN and Inf too
		return fmt.Errorf("config: scan.dpi %v: must be 0 (none) or from 50 to 2400", c.Scan.DPI)
	case strings.TrimSpace(c.OCR.Languages) == "":
		return fmt.Errorf("config: ocr.languages is empty")
	case c.Queue.Concurrency < 0:
		return fmt.Errorf("config: queue.concurrency %d: must be 0 (number of cores) or more", c.Queue.Concurrency)
	case c.Queue.Retries < 0:
		return fmt.Errorf("config: queue.retries %d: must not be negative", c.Queue.Retries)
	case c.Retention.Mode != "GOVERNANCE" && c.Retention.Mode != "COMPLIANCE" && c.Retention.Mode != "none":
		return fmt.Errorf("config: retention.mode %q: must be GOVERNANCE, COMPLIANCE or none", c.Retention.Mode)
	case c.Seal.KeyFile != "" && c.Seal.CertFile == "":
		return fmt.Errorf("config: seal.keyFile is set but seal.certFile is empty")
	case c.Seal.KeyFile == "" && c.Seal.CertFile != "" && c.Seal.PKCS11.Module == "":
		return fmt.Errorf("config: seal.certFile is set but seal.keyFile is empty")
	case c.Seal.KeyFile != "" && c.Seal.PKCS11.Module != "":
		return fmt.Errorf("config: seal.keyFile and seal.pkcs11.module are both set: use one key")
	case c.Seal.PKCS11.Module != "" && (c.Seal.PKCS11.TokenLabel == "") == (c.Seal.PKCS11.Slot == ""):
		return fmt.Errorf("config: seal.pkcs11: give exactly one of tokenLabel and slot")
	case c.Seal.PKCS11.Module != "" && c.Seal.PKCS11.KeyLabel == "" && c.Seal.PKCS11.KeyID == "":
		return fmt.Errorf("config: seal.pkcs11: give keyLabel or keyID")
	case c.Seal.Corner != "" && c.Seal.Corner != "top-right" && c.Seal.Corner != "top-left" && c.Seal.Corner != "bottom-right" && c.Seal.Corner != "bottom-left":
		return fmt.Errorf("config: seal.corner %q: must be top-right, top-left, bottom-right or bottom-left", c.Seal.Corner)
	case c.Retention.Mode != "none" && c.Retention.Years < 1:
		return fmt.Errorf("config: retention.years %d: must be 1 or more", c.Retention.Years)
	case !(c.Review.Sample >= 0 && c.Review.Sample <= 1): // NaN too
		return fmt.Errorf("config: review.sample %v: must be from 0 to 1", c.Review.Sample)
	case c.Server.MaxUploadMB < 1:
		return fmt.Errorf("config: server.maxUploadMB %d: must be 1 or more", c.Server.MaxUploadMB)
	}
	for i, t := range c.Server.Tokens {
		switch t.Role {
		case RoleStation, RoleStaff, RoleOfficer, RoleAdmin, RoleReviewer:
		default:
			return fmt.Errorf("config: server.tokens[%d].role %q: must be station, staff, officer, reviewer or admin", i, t.Role)
		}
		if len(t.SHA256) != 64 || strings.Trim(t.SHA256, "0123456789abcdef") != "" {
			return fmt.Errorf("config: server.tokens[%d].sha256: must be 64 lower-case hex digits", i)
		}
	}
	if c.Fixity.Schedule != "none" {
		if _, err := cron.ParseStandard(c.Fixity.Schedule); err != nil {
			return fmt.Errorf("config: fixity.schedule %q: must be a cron specification, a descriptor such as @daily, or none: %w",
				c.Fixity.Schedule, err)
		}
	}
	return c.checkCopies()
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// applyEnv sets every field of v that has a SOHOA_<PATH> variable, where PATH
// is the upper-cased yaml keys joined by '_' (SOHOA_OCR_MINCONFIDENCE).
func applyEnv(v reflect.Value, prefix string, env map[string]string) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		key := prefix + "_" + strings.ToUpper(name)
		f := v.Field(i)
		if f.Kind() == reflect.Struct {
			if err := applyEnv(f, key, env); err != nil {
				return err
			}
			continue
		}
		s, ok := env[key]
		if !ok {
			continue
		}
		var err error
		switch f.Kind() {
		case reflect.String:
			f.SetString(s)
		case reflect.Bool:
			var b bool
			b, err = strconv.ParseBool(s)
			f.SetBool(b)
		case reflect.Int:
			var n int64
			n, err = strconv.ParseInt(s, 10, 64)
			f.SetInt(n)
		case reflect.Float64:
			var x float64
			x, err = strconv.ParseFloat(s, 64)
			f.SetFloat(x)
		}
		if err != nil {
			return fmt.Errorf("config: %s=%q: %w", key, s, err)
		}
	}
	return nil
}

// validDropout reports whether s is a comma-separated list of "red", "blue" or "none"
// (as ocr.ParseInks reads it).
func validDropout(s string) bool {
	for _, f := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "", "none", "red", "blue":
		default:
			return false
		}
	}
	return true
}

// Packages holds the archive's codes used in the TT 05 information packages.
type Packages struct {
	// Fonds is the mã phông in an AIP's OBJID (urn:<fonds>:uuid-…); empty gives urn:uuid:….
	Fonds string `yaml:"fonds"`
	// ArchiveCode is the mã cơ quan lưu trữ: arcFileCode = archiveCode.mã hồ sơ
	// (the mã hồ sơ alone when empty).
	ArchiveCode string `yaml:"archiveCode"`
}
