package aip_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/aip"
)

// TestCheckRejectsMutations changes a real AIP in one way at a time; the
// checker must name each change, and pass the package as written.
func TestCheckRejectsMutations(t *testing.T) {
	dir, rs := writeAIPs(t, fixture.bag)
	zipPath := filepath.Join(dir, rs[0].Package.Name)
	const rep = "representations/rep1/METS.xml"
	const doc2 = "representations/rep1/metadata/descriptive/EAD_DOC_H49.64.33.2024.01.VTLT.2.xml"
	const pdf1 = "representations/rep1/data/H49.64.33.2024.01.VTLT.1.pdf"
	edit := func(t *testing.T, pkg, rel string, f func(string) string) {
		t.Helper()
		p := filepath.Join(pkg, rel)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out := f(string(data))
		if out == string(data) {
			t.Fatalf("%s: the mutation changed nothing", rel)
		}
		if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name   string
		mutate func(t *testing.T, pkg string)
		want   string // a problem line must contain this
	}{
		{"as written", func(*testing.T, string) {}, ""},
		{"wrong checksum", func(t *testing.T, pkg string) {
			edit(t, pkg, rep, func(s string) string {
				return regexp.MustCompile(`(MIMETYPE="application/pdf" SIZE="[0-9]+" CREATED="[^"]+" CHECKSUM=")[0-9A-F]`).ReplaceAllString(s, "${1}0")
			})
		}, pdf1 + ": SHA-256 "},
		{"missing file", func(t *testing.T, pkg string) {
			if err := os.Remove(filepath.Join(pkg, doc2)); err != nil {
				t.Fatal(err)
			}
		}, doc2 + ": listed in " + rep + " but missing from the package"},
		{"extra file", func(t *testing.T, pkg string) {
			if err := os.WriteFile(filepath.Join(pkg, "representations/rep1/data/extra.pdf"), []byte("%PDF-1.7"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "representations/rep1/data/extra.pdf: in the package but listed in no METS file"},
		{"broken MetadataLink", func(t *testing.T, pkg string) {
			edit(t, pkg, rep, func(s string) string {
				// the first File div points at the second document's EAD_DOC
				dmds := regexp.MustCompile(`<dmdSec ID="([^"]+)"`).FindAllStringSubmatch(s, -1)
				first := regexp.MustCompile(`LABEL="File" DMDID="[^"]+"`).FindStringIndex(s)
				return s[:first[0]] + `LABEL="File" DMDID="` + dmds[1][1] + `"` + s[first[1]:]
			})
		}, "linked to 0 PDF(s) by MetadataLink, want 1"},
		{"missing required field", func(t *testing.T, pkg string) {
			edit(t, pkg, doc2, func(s string) string {
				return regexp.MustCompile(`\s*<typeName>[^<]*</typeName>`).ReplaceAllString(s, "")
			})
		}, doc2 + ": typeName: required field missing"},
		{"changed PDF byte", func(t *testing.T, pkg string) {
			p := filepath.Join(pkg, pdf1)
			data, _ := os.ReadFile(p)
			i := strings.Index(string(data), "/Producer")
			data[i+1] = 'p'
			os.WriteFile(p, data, 0o644)
		}, pdf1 + ": signature: digest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pkg := unzipTo(t, zipPath)
			c.mutate(t, pkg)
			r, err := aip.CheckPath(context.Background(), pkg, fixture.check)
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, p := range r.Problems {
				lines = append(lines, p.String())
			}
			all := strings.Join(lines, "\n")
			if c.want == "" {
				if !r.OK() {
					t.Errorf("the package as written has problems:\n%s", all)
				}
				return
			}
			if !strings.Contains(all, c.want) {
				t.Errorf("problems lack %q:\n%s", c.want, all)
			}
		})
	}
}

// TestCheckWithoutCA never passes a package whose signers cannot be checked.
func TestCheckWithoutCA(t *testing.T) {
	dir, rs := writeAIPs(t, fixture.bag)
	r, err := aip.CheckPath(context.Background(), filepath.Join(dir, rs[0].Package.Name), aip.CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.OK() || len(r.Problems) != 2 || !strings.Contains(r.Problems[0].String(), "signer not checked") {
		t.Errorf("without a CA: %+v", r.Problems)
	}
}

// TestCheckBindsSigner: with the CA but no trust, or with the trust of
// another organisation, no PDF signer passes: a certificate the CA issued is
// not enough, it must be the organisation's.
func TestCheckBindsSigner(t *testing.T) {
	dir, rs := writeAIPs(t, fixture.bag)
	pkg := filepath.Join(dir, rs[0].Package.Name)
	for name, c := range map[string]struct {
		opts aip.CheckOptions
		want string
	}{
		"no trust":             {aip.CheckOptions{Roots: fixture.roots}, "signer not bound to the organisation"},
		"another organisation": {aip.CheckOptions{Roots: fixture.roots, Trust: fixture.check.Trust, OrgID: "H01.02.03"}, `organisation "H01.02.03" is not in the trust`},
	} {
		r, err := aip.CheckPath(context.Background(), pkg, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range r.Problems {
			if strings.Contains(p.String(), c.want) {
				n++
			}
		}
		if r.OK() || n != 2 {
			t.Errorf("%s: %d of the 2 PDFs refused with %q: %+v", name, n, c.want, r.Problems)
		}
	}
}
