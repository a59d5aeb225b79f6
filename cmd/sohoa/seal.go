package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/aip"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/pades"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/pipeline/seal/token"
)

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("verify", "PACKAGE_DIR|AIP_OR_SIP(.zip) [--ca ca.pem --trust trust.yaml] [--previous PREVIOUS_PACKAGE_DIR | --previous-seal SHA256]",
		"An AIP_hoso or SIP_hoso (zip or folder) is checked against TT 05: every METS reference, no\n"+
			"unreferenced file, the EAD and EAD_DOC fields, the MetadataLink pairs and every PDF's signature.\n\n"+
			"Checks a sealed package offline, with no configuration: the bag is complete and valid, every\n"+
			"file has the SHA-256 and size that the manifests and METS.xml give, the signature over the tag\n"+
			"manifest holds, its certificate chains to the CA, is fit to sign (not a CA, key usage) and is\n"+
			"the organisation's by the trust file, the signing time is neither in the future nor before the\n"+
			"bagging date, and, with --previous or --previous-seal,\n"+
			"that the package records the seal of the organisation's previous package.\n\n"+
			"Exit status 0 only when everything holds; otherwise every missing, altered or unexpected file\n"+
			"and every failed check is printed on its own line and the exit status is 1.", stderr)
	caFile := fs.String("ca", "", "PEM file with the organisation's CA certificate(s) that the signer must chain to")
	trustFile := fs.String("trust", "", "trust file (YAML) naming, per Organization-Identifier, the certificates that may sign for it")
	org := fs.String("org", "", "for an AIP_hoso or SIP_hoso: the Organization-Identifier the package must record, whose certificates (by --trust) must have signed its PDFs (default: the one its METS.xml records)")
	prev := fs.String("previous", "", "the organisation's previous sealed package, to check the chain link")
	prevSeal := fs.String("previous-seal", "", "the previous seal's SHA-256 fingerprint (from the previous handover record), to check the chain link")
	pos, code, ok := parseArgs(fs, args, 1, 1)
	if !ok {
		return code
	}
	opts := seal.VerifyOptions{Previous: *prev, PreviousSHA256: *prevSeal}
	var err error
	if opts.Roots, err = loadRoots(*caFile); err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	if opts.Trust, err = loadTrust(*trustFile); err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	if isInformationPackage(pos[0]) {
		check := aip.CheckOptions{Roots: opts.Roots, Trust: opts.Trust, OrgID: *org}
		return verifyInformationPackage(ctx, pos[0], check, stdout, stderr)
	}
	pdfs := &pades.DirCheck{Options: pades.VerifyOptions{Roots: opts.Roots, Trust: opts.Trust}}
	opts.Checks = append(opts.Checks, pdfs.Check)
	r, err := seal.Verify(ctx, pos[0], opts)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	for _, p := range r.Problems {
		fmt.Fprintln(stdout, p)
	}
	if o := r.Outcome(); o != seal.Passed {
		fmt.Fprintf(stdout, "%s: %s (%d problem(s)); %s\n", pos[0], o.English(), len(r.Problems), o.Vietnamese())
		fmt.Fprintf(stdout, "  PDFs       %s\n", pades.Summary(pdfs.Results))
		return exitFailed
	}
	fmt.Fprintf(stdout, "%s: verified\n", pos[0])
	fmt.Fprintf(stdout, "  batch      %s of %s (%s)\n", r.Batch, r.Organisation, r.OrgID)
	fmt.Fprintf(stdout, "  payload    %d files, %d bytes\n", r.Files, r.Bytes)
	fmt.Fprintf(stdout, "  signed by  %s\n", r.SignerSubject())
	if !r.SignedAt.IsZero() {
		fmt.Fprintf(stdout, "  signed at  %s\n", r.SignedAt.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(stdout, "  seal       SHA-256 %s (of %s)\n", r.Fingerprint, bag.SignatureFile)
	fmt.Fprintf(stdout, "  PDFs       %s\n", pades.Summary(pdfs.Results))
	switch {
	case r.PreviousChecked:
		fmt.Fprintf(stdout, "  previous   %s (batch %s): link checked\n", r.PreviousSHA256, r.PreviousBatch)
	case r.PreviousSHA256 != "":
		fmt.Fprintf(stdout, "  previous   %s (batch %s): not checked (pass --previous or --previous-seal)\n", r.PreviousSHA256, r.PreviousBatch)
	default:
		fmt.Fprintln(stdout, "  previous   none: the organisation's first seal")
	}
	return exitOK
}

func runKeygen(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("keygen", "--out DIR [--org NAME] [--org-id IDENTIFIER] [--pkcs11]",
		"Makes a DEVELOPMENT signing setup in DIR: a throw-away CA certificate (ca.pem), a signing key\n"+
			"(seal.key) and its certificate (seal.pem). With --pkcs11 the key is made on a SoftHSM2 token kept\n"+
			"in DIR/tokens instead (DIR/softhsm2.conf, PIN in DIR/pin), with its certificate stored on the token.\n"+
			"For development and demonstrations only: use the organisation's real key and certificate in\n"+
			"production. Existing files are not overwritten. With --org-id, DIR/trust.yaml pins the new\n"+
			"certificate for that Organization-Identifier (for: sohoa verify --trust).", stderr)
	out := fs.String("out", "", "folder to write the keys to (required)")
	org := fs.String("org", "sohoa development", "organisation name in the certificates")
	orgID := fs.String("org-id", "", "the organisation's identifier (Organization-Identifier): write DIR/trust.yaml pinning the new certificate for it")
	p11 := fs.Bool("pkcs11", false, "make the key on a SoftHSM2 token (needs softhsm2) instead of in a file")
	_, code, ok := parseArgs(fs, args, 0, 0, out)
	if !ok {
		return code
	}
	if *p11 {
		return keygenPKCS11(*out, *org, *orgID, stdout, stderr)
	}
	k, err := seal.WriteDevelopmentKeys(*out, *org, time.Now())
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "DEVELOPMENT keys (not for production, trusted by nobody else):\n")
	fmt.Fprintf(stdout, "  CA certificate       %s   (for: sohoa verify --ca)\n", k.CA)
	fmt.Fprintf(stdout, "  signing key          %s\n", k.Key)
	fmt.Fprintf(stdout, "  signing certificate  %s\n", k.Cert)
	if *orgID != "" {
		fs, err := seal.LoadSigner(k.Key, k.Cert)
		if err == nil {
			err = writeDevTrust(*out, *orgID, *org, fs.Cert, stdout)
		}
		if err != nil {
			fmt.Fprintln(stderr, "sohoa:", err)
			return exitFailed
		}
	}
	fmt.Fprintf(stdout, "Sign PDFs and seal packages with them by setting, in the configuration:\n  seal:\n    keyFile: %s\n    certFile: %s\n    caFile: %s\n", k.Key, k.Cert, k.CA)
	fmt.Fprintf(stdout, "or in the environment: SOHOA_SEAL_KEYFILE=%s SOHOA_SEAL_CERTFILE=%s SOHOA_SEAL_CAFILE=%s\n", k.Key, k.Cert, k.CA)
	return exitOK
}

// keygenPKCS11 makes a development key on a SoftHSM2 token in dir.
func keygenPKCS11(dir, org, orgID string, stdout, stderr io.Writer) int {
	if !token.HasSoftHSM() {
		fmt.Fprintf(stderr, "sohoa: SoftHSM2 is not installed (%s, softhsm2-util): apt install softhsm2, or use keygen without --pkcs11\n", token.SoftHSMModule)
		return exitFailed
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	switch v := os.Getenv("SOFTHSM2_CONF"); v {
	case conf:
	case "":
		os.Setenv("SOFTHSM2_CONF", conf) // read by the PKCS#11 module when it is loaded below
	default:
		fmt.Fprintf(stderr, "sohoa: SOFTHSM2_CONF is %s; unset it or set it to %s\n", v, conf)
		return exitFailed
	}
	pin := make([]byte, 8)
	if _, err := rand.Read(pin); err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	pinFile := filepath.Join(dir, "pin")
	if _, err := os.Stat(pinFile); err == nil {
		fmt.Fprintf(stderr, "sohoa: keygen: %s already exists\n", pinFile)
		return exitFailed
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	dt, err := token.WriteDevelopmentToken(dir, org, hex.EncodeToString(pin), time.Now())
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	if err := os.WriteFile(pinFile, []byte(dt.Config.PIN+"\n"), 0o600); err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	c := dt.Config
	fmt.Fprintf(stdout, "DEVELOPMENT key on a SoftHSM2 token (not for production, trusted by nobody else):\n")
	fmt.Fprintf(stdout, "  token                %s (%s)\n", c.TokenLabel, dt.Conf)
	fmt.Fprintf(stdout, "  key                  %s (id %s), certificate on the token\n", c.KeyLabel, c.KeyID)
	fmt.Fprintf(stdout, "  user PIN             in %s\n", pinFile)
	fmt.Fprintf(stdout, "  CA certificate       %s   (for: sohoa verify --ca)\n", dt.CA)
	if orgID != "" {
		ts, err := token.Open(dt.Config)
		if err == nil {
			err = writeDevTrust(dir, orgID, org, ts.Certificate(), stdout)
			ts.Close()
		}
		if err != nil {
			fmt.Fprintln(stderr, "sohoa:", err)
			return exitFailed
		}
	}
	fmt.Fprintf(stdout, "Use it with SOFTHSM2_CONF=%s in the environment and, in the configuration:\n", dt.Conf)
	fmt.Fprintf(stdout, "  seal:\n    caFile: %s\n    pkcs11:\n      module: %s\n      tokenLabel: %s\n      keyLabel: %s\n      pinFile: %s\n",
		dt.CA, c.Module, c.TokenLabel, c.KeyLabel, pinFile)
	fmt.Fprintf(stdout, "or in the environment: SOHOA_SEAL_CAFILE=%s SOHOA_SEAL_PKCS11_MODULE=%s SOHOA_SEAL_PKCS11_TOKENLABEL=%s SOHOA_SEAL_PKCS11_KEYLABEL=%s SOHOA_SEAL_PKCS11_PINFILE=%s\n",
		dt.CA, c.Module, c.TokenLabel, c.KeyLabel, pinFile)
	return exitOK
}

// DevTrustFile is the trust file keygen --org-id writes next to the keys.
const DevTrustFile = "trust.yaml"

// writeDevTrust writes dir/trust.yaml pinning cert for organisation id.
func writeDevTrust(dir, id, org string, cert *x509.Certificate, stdout io.Writer) error {
	f := filepath.Join(dir, DevTrustFile)
	if _, err := os.Stat(f); err == nil {
		return fmt.Errorf("keygen: %s already exists", f)
	}
	body := fmt.Sprintf("# DEVELOPMENT trust written by sohoa keygen: who may sign for which organisation.\n"+
		"organisations:\n  - identifier: %q\n    name: %q\n    certificates:\n      - %s\n", id, org, seal.CertFingerprint(cert))
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	if _, err := seal.LoadTrust(f); err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	fmt.Fprintf(stdout, "  trust                %s   (for: sohoa verify --trust; seal.trustFile)\n", f)
	return nil
}

// loadSigner opens the configured signing key (a key file or a PKCS#11
// token) and checks its certificate (validity now, key usage, chain to
// seal.caFile when set); nil when signing is not configured.
func loadSigner(cfg *configs.Config) (seal.Signer, error) {
	if !cfg.Seal.Enabled() {
		return nil, nil
	}
	var s seal.Signer
	if p := cfg.Seal.PKCS11; p.Module != "" {
		tc := token.Config{Module: p.Module, TokenLabel: p.TokenLabel, KeyLabel: p.KeyLabel, KeyID: p.KeyID,
			PIN: p.PIN, CertFile: cfg.Seal.CertFile}
		if p.Slot != "" {
			n, err := strconv.Atoi(p.Slot)
			if err != nil {
				return nil, fmt.Errorf("seal.pkcs11.slot %q: %w", p.Slot, err)
			}
			tc.Slot = &n
		}
		ts, err := token.Open(tc)
		if err != nil {
			return nil, err
		}
		s = ts
	} else {
		fs, err := seal.LoadSigner(cfg.Seal.KeyFile, cfg.Seal.CertFile)
		if err != nil {
			return nil, err
		}
		s = fs
	}
	roots, err := loadRoots(cfg.Seal.CAFile)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("seal.caFile: %w", err)
	}
	if err := seal.ValidateCertificate(s, roots, time.Now()); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// pdfSigner is the PDF signer of the configuration with key s; nil when s is nil.
func pdfSigner(cfg *configs.Config, s seal.Signer) (pipeline.PDFSigner, error) {
	if s == nil {
		return nil, nil
	}
	roots, err := loadRoots(cfg.Seal.CAFile)
	if err != nil {
		return nil, fmt.Errorf("seal.caFile: %w", err)
	}
	o := pades.Options{Location: cfg.Seal.Location, Roots: roots, Position: pades.Position{Corner: pades.Corner(cfg.Seal.Corner)}}
	if cfg.Seal.TSAURL != "" {
		o.TSA = &pades.TSA{URL: cfg.Seal.TSAURL}
	}
	return &pades.Signer{Key: s, Opts: o}, nil
}

// sealStamper is the TSA that timestamps package seals: seal.tsaURL's, as
// for the PDFs; nil when none is configured.
func sealStamper(cfg *configs.Config) seal.Stamper {
	if cfg.Seal.TSAURL == "" {
		return nil
	}
	return &pades.TSA{URL: cfg.Seal.TSAURL}
}

// loadTrust reads the trust file; nil, and no error, when file is empty.
func loadTrust(file string) (*seal.Trust, error) {
	if file == "" {
		return nil, nil
	}
	return seal.LoadTrust(file)
}

// loadRoots reads the CA certificates in the PEM file caFile; nil, and no
// error, when caFile is empty.
func loadRoots(caFile string) (*x509.CertPool, error) {
	if caFile == "" {
		return nil, nil
	}
	b, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	certs, err := seal.ParseCertificates(b)
	if err != nil {
		return nil, fmt.Errorf("CA certificate %s: %w", caFile, err)
	}
	roots := x509.NewCertPool()
	for _, c := range certs {
		roots.AddCert(c)
	}
	return roots, nil
}
