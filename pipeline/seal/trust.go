package seal

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
)

// Trust says, for each organisation (by the Organization-Identifier its
// packages carry in bag-info.txt), whose certificates may seal its packages
// and sign its PDFs. A CA issues certificates to every agency it serves, so a
// chain to the CA alone says only that some agency signed: the trust binds
// the signer to the organisation the package names.
//
// A certificate is the organisation's when it is one of the entry's pinned
// certificates, or when its subject keeps every field of the entry's subject
// rule. Trust is read from a YAML file by LoadTrust:
//
//	organisations:
//	  - identifier: H49.64            # Organization-Identifier in bag-info.txt
//	    name: Sở Nội vụ tỉnh Bắc Minh  # for people; not checked
//	    certificates:                  # pinned: SHA-256 of the certificate (DER), hex
//	      - 5f0c…
//	    certFiles: [seal.pem]          # pinned: PEM files, relative to the trust file
//	    subject:                       # or a rule on the certificate's subject
//	      organization: Sở Nội vụ tỉnh Bắc Minh
//	      uid: "MNS:H49.64"
type Trust struct {
	Organisations []OrgTrust `yaml:"organisations"`
}

// OrgTrust is the trust of one organisation. At least one pinned
// certificate or one subject field is required.
type OrgTrust struct {
	Identifier string `yaml:"identifier"` // the Organization-Identifier of its packages
	Name       string `yaml:"name"`       // for people; not checked
	// Certificates pins certificates by the SHA-256 of their DER encoding, in
	// hex (colons and case as openssl prints them are accepted).
	Certificates []string `yaml:"certificates"`
	// CertFiles pins the certificates in these PEM files (relative paths are
	// relative to the trust file).
	CertFiles []string `yaml:"certFiles"`
	// Subject is a rule on the certificate's subject: every field given must
	// equal the subject's (exactly, after trimming spaces).
	Subject SubjectRule `yaml:"subject"`

	pins map[string]bool // lower-case hex SHA-256 of pinned certificates
}

// SubjectRule is the fields a certificate's subject must carry. Empty fields
// are not checked; a rule with no field matches nothing.
type SubjectRule struct {
	Organization           string `yaml:"organization"`           // O
	OrganizationalUnit     string `yaml:"organizationalUnit"`     // OU
	CommonName             string `yaml:"commonName"`             // CN
	OrganizationIdentifier string `yaml:"organizationIdentifier"` // 2.5.4.97 (ETSI EN 319 412-1)
	UID                    string `yaml:"uid"`                    // 0.9.2342.19200300.100.1.1, where Vietnamese CAs write MST:/MNS: codes
	SerialNumber           string `yaml:"serialNumber"`           // 2.5.4.5
}

// Subject attribute identifiers that pkix.Name does not name.
var (
	oidOrganizationIdentifier = asn1.ObjectIdentifier{2, 5, 4, 97}
	oidUID                    = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
)

// empty reports whether the rule has no field.
func (s SubjectRule) empty() bool { return s == SubjectRule{} }

// mismatches lists the fields of the rule that c's subject does not keep, as
// "field: certificate has X, rule wants Y".
func (s SubjectRule) mismatches(c *x509.Certificate) []string {
	var out []string
	check := func(field, want string, have []string) {
		want = strings.TrimSpace(want)
		if want == "" {
			return
		}
		for _, h := range have {
			if strings.TrimSpace(h) == want {
				return
			}
		}
		out = append(out, fmt.Sprintf("%s %q, not %q", field, strings.Join(have, ", "), want))
	}
	n := c.Subject
	check("organization (O)", s.Organization, n.Organization)
	check("organizational unit (OU)", s.OrganizationalUnit, n.OrganizationalUnit)
	check("common name (CN)", s.CommonName, []string{n.CommonName})
	check("serialNumber", s.SerialNumber, []string{n.SerialNumber})
	check("organizationIdentifier", s.OrganizationIdentifier, attrValues(c, oidOrganizationIdentifier))
	check("UID", s.UID, attrValues(c, oidUID))
	return out
}

// attrValues returns the string values of the subject attribute oid.
func attrValues(c *x509.Certificate, oid asn1.ObjectIdentifier) []string {
	var out []string
	for _, a := range c.Subject.Names {
		if a.Type.Equal(oid) {
			if s, ok := a.Value.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// CertFingerprint is the SHA-256 of c's DER encoding in lower-case hex, the
// form Trust pins certificates by.
func CertFingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// LoadTrust reads the trust file (YAML, see Trust). Unknown keys, an entry
// without identifier or without any rule, an identifier given twice and a
// malformed fingerprint are refused.
func LoadTrust(file string) (*Trust, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("trust: %w", err)
	}
	var t Trust
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("trust %s: %w", file, err)
	}
	if err := t.prepare(filepath.Dir(file)); err != nil {
		return nil, fmt.Errorf("trust %s: %w", file, err)
	}
	return &t, nil
}

// NewTrust returns the trust of one organisation id in the certificates
// pinned, for programs and tests.
func NewTrust(id string, pinned ...*x509.Certificate) *Trust {
	o := OrgTrust{Identifier: id, pins: map[string]bool{}}
	for _, c := range pinned {
		fp := CertFingerprint(c)
		o.Certificates = append(o.Certificates, fp)
		o.pins[fp] = true
	}
	return &Trust{Organisations: []OrgTrust{o}}
}

// prepare checks the entries and computes their pins; dir resolves CertFiles.
func (t *Trust) prepare(dir string) error {
	if len(t.Organisations) == 0 {
		return errors.New("no organisation")
	}
	seen := map[string]bool{}
	for i := range t.Organisations {
		o := &t.Organisations[i]
		o.Identifier = strings.TrimSpace(o.Identifier)
		if o.Identifier == "" {
			return fmt.Errorf("organisation %d: no identifier", i+1)
		}
		if seen[o.Identifier] {
			return fmt.Errorf("organisation %s given twice", o.Identifier)
		}
		seen[o.Identifier] = true
		o.pins = map[string]bool{}
		for _, fp := range o.Certificates {
			h := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(fp), ":", ""))
			if b, err := hex.DecodeString(h); err != nil || len(b) != sha256.Size {
				return fmt.Errorf("organisation %s: certificate fingerprint %q is not a SHA-256 in hex", o.Identifier, fp)
			}
			o.pins[h] = true
		}
		for _, f := range o.CertFiles {
			if !filepath.IsAbs(f) && dir != "" {
				f = filepath.Join(dir, f)
			}
			b, err := os.ReadFile(f)
			if err != nil {
				return fmt.Errorf("organisation %s: %w", o.Identifier, err)
			}
			certs, err := ParseCertificates(b)
			if err != nil {
				return fmt.Errorf("organisation %s: %s: %w", o.Identifier, f, err)
			}
			for _, c := range certs {
				o.pins[CertFingerprint(c)] = true
			}
		}
		if len(o.pins) == 0 && o.Subject.empty() {
			return fmt.Errorf("organisation %s: neither a pinned certificate nor a subject rule", o.Identifier)
		}
	}
	return nil
}

// org returns the entry of organisation id, nil when there is none.
func (t *Trust) org(id string) *OrgTrust {
	for i := range t.Organisations {
		if t.Organisations[i].Identifier == id {
			return &t.Organisations[i]
		}
	}
	return nil
}

// Identifiers returns the organisations the trust names, sorted.
func (t *Trust) Identifiers() []string {
	var out []string
	for _, o := range t.Organisations {
		out = append(out, o.Identifier)
	}
	sort.Strings(out)
	return out
}

// CheckBinding reports whether c is the certificate of organisation orgID
// (the package's Organization-Identifier) under t. It returns nil when it
// is; otherwise the problem says which rule failed. With no trust (t nil)
// the binding cannot be told: the problem is CodeSignerUnbound, which makes
// the verdict "not checked", never a pass.
func (t *Trust) CheckBinding(orgID string, c *x509.Certificate) *Problem {
	who := c.Subject.String()
	switch {
	case t == nil:
		return &Problem{Check: CheckSigner, Code: CodeSignerUnbound,
			What: fmt.Sprintf("no trust configured (--trust): whether the signer %q is organisation %q's own cannot be told", who, orgID),
			Vi:   fmt.Sprintf("chưa đối chiếu được người ký %s với tổ chức %s: chưa cấu hình chứng thư tin cậy của tổ chức (--trust)", who, orgID)}
	case orgID == "":
		return &Problem{Check: CheckSigner, Code: CodeSignerNotOrganisation, Path: bag.InfoFile,
			What: "no Organization-Identifier: the signer cannot be bound to an organisation",
			Vi:   "gói tin không ghi mã định danh tổ chức (Organization-Identifier), không đối chiếu được người ký"}
	}
	o := t.org(orgID)
	if o == nil {
		return &Problem{Check: CheckSigner, Code: CodeSignerNotOrganisation,
			What: fmt.Sprintf("organisation %q is not in the trust (it names %s): the signer %q is trusted for none of the package's organisation", orgID, strings.Join(t.Identifiers(), ", "), who),
			Vi:   fmt.Sprintf("tổ chức %s không có trong cấu hình tin cậy: người ký %s không được tin cậy cho tổ chức này", orgID, who)}
	}
	if o.pins[CertFingerprint(c)] {
		return nil
	}
	var rules, rulesVi []string
	if len(o.pins) > 0 {
		rules = append(rules, fmt.Sprintf("not one of the %d pinned certificates (SHA-256 %s)", len(o.pins), CertFingerprint(c)))
		rulesVi = append(rulesVi, fmt.Sprintf("không phải chứng thư số đã ghim của tổ chức (SHA-256 %s)", CertFingerprint(c)))
	}
	if !o.Subject.empty() {
		mm := o.Subject.mismatches(c)
		if len(mm) == 0 {
			return nil
		}
		rules = append(rules, "subject rule: "+strings.Join(mm, "; "))
		rulesVi = append(rulesVi, "chủ thể chứng thư không khớp quy tắc: "+strings.Join(mm, "; "))
	}
	return &Problem{Check: CheckSigner, Code: CodeSignerNotOrganisation,
		What: fmt.Sprintf("the signer %q is not organisation %q's: %s", who, orgID, strings.Join(rules, "; ")),
		Vi:   fmt.Sprintf("người ký %s không phải của tổ chức %s: %s", who, orgID, strings.Join(rulesVi, "; "))}
}
