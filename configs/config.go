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
}

// OCR holds the recognition settings.
type OCR struct {
	Languages     string  `yaml:"languages"`     // Tesseract languages, e.g. "vie+eng"
	MinConfidence float64 `yaml:"minConfidence"` // pages under this mean confidence are flagged
}

// Scan holds settings about the scanned input.
type Scan struct {
	DPI float64 `yaml:"dpi"` // resolution assumed when a file records none
}

// PDF holds the PDF/A writer settings.
type PDF struct {
	Part        string `yaml:"part"`        // "2b" or "1b"
	JPEGQuality int    `yaml:"jpegQuality"` // 0 = the writer's default
}

// Default returns the configuration with every default filled in.
func Default() *Config {
	return &Config{OCR: OCR{Languages: "vie", MinConfidence: 70}, PDF: PDF{Part: "2b"}}
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
	if err := applyEnv(reflect.ValueOf(c).Elem(), "SOHOA", envMap(env)); err != nil {
		return nil, err
	}
	return c, c.Check()
}

// Check reports the first setting that is out of range.
func (c *Config) Check() error {
	switch {
	case c.Workers < 0:
		return fmt.Errorf("config: workers %d: must be 0 (number of cores) or more", c.Workers)
	case c.PDF.Part != "1b" && c.PDF.Part != "2b":
		return fmt.Errorf("config: pdf.part %q: must be 1b or 2b", c.PDF.Part)
	case c.PDF.JPEGQuality < 0 || c.PDF.JPEGQuality > 100:
		return fmt.Errorf("config: pdf.jpegQuality %d: must be 1-100 (0 = default)", c.PDF.JPEGQuality)
	case c.OCR.MinConfidence < 0 || c.OCR.MinConfidence > 100:
		return fmt.Errorf("config: ocr.minConfidence %v: must be 0-100", c.OCR.MinConfidence)
	case c.Scan.DPI < 0:
		return fmt.Errorf("config: scan.dpi %v: must not be negative", c.Scan.DPI)
	case strings.TrimSpace(c.OCR.Languages) == "":
		return fmt.Errorf("config: ocr.languages is empty")
	}
	return nil
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
