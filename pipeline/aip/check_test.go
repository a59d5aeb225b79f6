package aip_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/aip"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
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
				// every PDF's checksum gets a different first digit: a fixed
				// replacement would change nothing when the digit is already it
				return regexp.MustCompile(`MIMETYPE="application/pdf" SIZE="[0-9]+" CREATED="[^"]+" CHECKSUM="[0-9A-F]`).ReplaceAllStringFunc(s, flipLastDigit)
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
			r, all := checkLines(t, pkg, fixture.check)
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

// flipLastDigit returns s with its last character, a hex digit, changed to
// another one.
func flipLastDigit(s string) string {
	last := s[len(s)-1]
	next := byte('0')
	if last == '0' {
		next = '1'
	}
	return s[:len(s)-1] + string(next)
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

// TestCheckRecordedOrganisation: the AIP records its organisation (the
// METS.xml agent ROLE CREATOR, TYPE ORGANIZATION, IDENTIFICATIONCODE) and
// the checker binds every PDF signer to it with no --org: a package whose
// signer's certificate is, by the trust, another organisation's is refused;
// so is one whose agent was changed or removed; an explicit OrgID must match.
func TestCheckRecordedOrganisation(t *testing.T) {
	dir, rs := writeAIPs(t, fixture.bag)
	zipPath := filepath.Join(dir, rs[0].Package.Name)
	own := aip.CheckOptions{Roots: fixture.roots, Trust: fixture.check.Trust} // no OrgID: the recorded one
	// The fixture's signing certificate is H01.02.03's; H49.64.33 has another.
	swapped := filepath.Join(t.TempDir(), "trust.yaml")
	pin := fixture.check.Trust.Organisations[0].Certificates[0]
	if err := os.WriteFile(swapped, []byte("organisations:\n  - identifier: H49.64.33\n    certificates: ["+strings.Repeat("ab", 32)+
		"]\n  - identifier: H01.02.03\n    certificates: ["+pin+"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	other, err := seal.LoadTrust(swapped)
	if err != nil {
		t.Fatal(err)
	}
	const agent = `<agent ROLE="CREATOR" TYPE="ORGANIZATION">`
	setAgent := func(to string) func(t *testing.T, pkg string) {
		return func(t *testing.T, pkg string) {
			p := filepath.Join(pkg, "METS.xml")
			data, _ := os.ReadFile(p)
			s := string(data)
			i := strings.Index(s, agent)
			j := strings.Index(s[i:], "</agent>") + i + len("</agent>")
			if i < 0 || j < i {
				t.Fatalf("no organisation agent in METS.xml:\n%s", s)
			}
			os.WriteFile(p, []byte(s[:i]+to+s[j:]), 0o644)
		}
	}
	cases := []struct {
		name   string
		opts   aip.CheckOptions
		mutate func(t *testing.T, pkg string)
		want   []string // each in a problem line, count per line given by n
		n      int      // problem lines holding want[0]
	}{
		{"as written", own, nil, nil, 0},
		{"signer is another organisation's", aip.CheckOptions{Roots: fixture.roots, Trust: other}, nil,
			[]string{`not organisation "H49.64.33"`}, 2},
		{"agent changed", own, setAgent(agent + `<name>Sở khác</name><note xmlns:csip="https://DILCIS.eu/XML/METS/CSIPExtensionMETS" csip:NOTETYPE="IDENTIFICATIONCODE">H01.02.03</note></agent>`),
			[]string{`organisation "H01.02.03" is not in the trust`, `representations/rep1/METS.xml: records organisation "H49.64.33", METS.xml "H01.02.03"`}, 2},
		{"agent removed", own, setAgent(""), []string{`METS.xml: metsHdr has no agent ROLE="CREATOR" TYPE="ORGANIZATION"`}, 1},
		{"override differs", aip.CheckOptions{Roots: fixture.roots, Trust: fixture.check.Trust, OrgID: "H01.02.03"}, nil,
			[]string{`METS.xml: the package records organisation "H49.64.33", not "H01.02.03"`}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pkg := unzipTo(t, zipPath)
			if c.mutate != nil {
				c.mutate(t, pkg)
			}
			r, all := checkLines(t, pkg, c.opts)
			if c.want == nil {
				if !r.OK() || r.OrgID != "H49.64.33" {
					t.Errorf("as written: organisation %q, problems:\n%s", r.OrgID, all)
				}
				return
			}
			if r.OK() {
				t.Fatal("passed")
			}
			if n := strings.Count(all, c.want[0]); n != c.n {
				t.Errorf("%d problem(s) hold %q, want %d:\n%s", n, c.want[0], c.n, all)
			}
			for _, w := range c.want[1:] {
				if !strings.Contains(all, w) {
					t.Errorf("problems lack %q:\n%s", w, all)
				}
			}
		})
	}
}

// checkLines checks the package at pkg and returns the report and its problems, a line each.
func checkLines(t *testing.T, pkg string, opts aip.CheckOptions) (*aip.Report, string) {
	t.Helper()
	r, err := aip.CheckPath(context.Background(), pkg, opts)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, p := range r.Problems {
		lines = append(lines, p.String())
	}
	return r, strings.Join(lines, "\n")
}
