package seal_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/local"
)

func TestMain(m *testing.M) {
	testenv.Main(m, func() {
		if fx.dir != "" {
			seal.MakeWritable(fx.dir)
			os.RemoveAll(fx.dir)
		}
	})
}

// fixture is built once per test run: a package processed from
// ../../testdata/batch, unsealed; three copies of it sealed in a chain as
// batches series-1, series-2 and series-3; the CA that trusts the signer,
// and another key that the CA does not trust.
type fixture struct {
	dir      string
	unsealed string
	series   [3]string // sealed packages, in chain order
	links    [3]*seal.Link
	ca       string // ca.pem of the signer
	roots    *x509.CertPool
	trust    *seal.Trust // the signer pinned for the batch's organisation H49.64.33
	signer   *seal.FileSigner
	other    *seal.FileSigner // a key from another (development) CA
	err      error
}

var (
	fx     fixture
	fxOnce sync.Once
)

func setup(t *testing.T) *fixture {
	t.Helper()
	fxOnce.Do(func() { fx.err = fx.build() })
	if fx.err != nil {
		t.Fatal(fx.err)
	}
	return &fx
}

func (f *fixture) build() error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "sohoa-seal-")
	if err != nil {
		return err
	}
	f.dir = dir
	keys, err := seal.WriteDevelopmentKeys(filepath.Join(dir, "keys"), "Sở Nội vụ tỉnh Bắc Minh", time.Now())
	if err != nil {
		return err
	}
	f.ca = keys.CA
	if f.signer, err = seal.LoadSigner(keys.Key, keys.Cert); err != nil {
		return err
	}
	f.trust = seal.NewTrust(testOrgID, f.signer.Cert)
	other, err := seal.WriteDevelopmentKeys(filepath.Join(dir, "other"), "Sở Nội vụ tỉnh Bắc Minh", time.Now())
	if err != nil {
		return err
	}
	if f.other, err = seal.LoadSigner(other.Key, other.Cert); err != nil {
		return err
	}
	pem, err := os.ReadFile(keys.CA)
	if err != nil {
		return err
	}
	cas, err := seal.ParseCertificates(pem)
	if err != nil {
		return err
	}
	f.roots = x509.NewCertPool()
	f.roots.AddCert(cas[0])

	b, err := pipeline.Load(ctx, "../../testdata/batch", pipeline.LoadOptions{})
	if err != nil {
		return err
	}
	rep, err := pipeline.Process(ctx, b, filepath.Join(dir, "work"), pipeline.Options{Workers: 2, Producer: "sohoa 0.0.0-test"})
	if err != nil {
		return err
	}
	f.unsealed = rep.Bag
	out := filepath.Join(dir, "out")
	chain, err := seal.FolderChain(out)
	if err != nil {
		return err
	}
	for i := range f.series {
		p := filepath.Join(out, fmt.Sprintf("series-%d", i+1))
		if err := testenv.CopyTree(f.unsealed, p); err != nil {
			return err
		}
		info, err := bag.ReadInfo(filepath.Join(p, bag.InfoFile))
		if err != nil {
			return err
		}
		for j := range info {
			if info[j].Label == "External-Identifier" {
				info[j].Value = fmt.Sprintf("series-%d", i+1)
			}
		}
		if err := bag.UpdateInfo(p, info); err != nil {
			return err
		}
		if f.links[i], err = chain.Seal(ctx, p, f.signer); err != nil {
			return err
		}
		f.series[i] = p
	}
	return nil
}

// sealedCopy returns a writable copy of the first sealed package.
func sealedCopy(t *testing.T, f *fixture) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "pkg")
	if err := testenv.CopyTree(f.series[0], dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// testOrgID is the Organization-Identifier of ../../testdata/batch.
const testOrgID = "H49.64.33"

// verify verifies dir as the organisation's handover officer does: given a
// CA but no trust, with the fixture's trust (the development signer pinned
// for H49.64.33).
func verify(t *testing.T, dir string, opts seal.VerifyOptions) *seal.Report {
	t.Helper()
	if opts.Roots != nil && opts.Trust == nil {
		opts.Trust = fx.trust
	}
	r, err := seal.Verify(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// payloadFile returns the bag path of the package's first document PDF.
func payloadFile(t *testing.T, dir, ext string) string {
	t.Helper()
	m, err := bag.ReadManifest(filepath.Join(dir, bag.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	best := ""
	for p := range m {
		if strings.HasSuffix(p, ext) && !strings.HasPrefix(p, "data/originals/") && (best == "" || p < best) {
			best = p
		}
	}
	if best == "" {
		t.Fatalf("no %s payload in %s", ext, dir)
	}
	return best
}

func tool(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is required for this test (scripts/deps.sh installs it): %v", name, err)
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

func opensslVerify(t *testing.T, dir, ca string) (string, error) {
	t.Helper()
	return tool(t, "openssl", "cms", "-verify", "-binary",
		"-content", filepath.Join(dir, bag.TagManifestFile),
		"-in", filepath.Join(dir, bag.SignatureFile), "-inform", "DER",
		"-CAfile", ca, "-out", os.DevNull)
}

func TestSealedPackageVerifies(t *testing.T) {
	f := setup(t)
	for i, p := range f.series {
		opts := seal.VerifyOptions{Roots: f.roots}
		if i > 0 {
			opts.Previous = f.series[i-1]
		}
		r := verify(t, p, opts)
		if !r.OK() {
			t.Fatalf("%s: %d problems:\n%v", p, len(r.Problems), r.Problems)
		}
		if want := f.links[i].SHA256; r.Fingerprint != want {
			t.Errorf("%s: fingerprint %s, sealed as %s", p, r.Fingerprint, want)
		}
		b, _ := os.ReadFile(filepath.Join(p, bag.SignatureFile))
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != r.Fingerprint {
			t.Errorf("fingerprint is not the SHA-256 of %s", bag.SignatureFile)
		}
		if !strings.Contains(r.SignerSubject(), "Sở Nội vụ tỉnh Bắc Minh") || !strings.Contains(r.SignerSubject(), "NOT FOR PRODUCTION") {
			t.Errorf("signer subject %q", r.SignerSubject())
		}
		if r.Batch != fmt.Sprintf("series-%d", i+1) || r.OrgID != "H49.64.33" || r.Files != 16 || !r.Complete {
			t.Errorf("report: batch %q org %q files %d complete %t", r.Batch, r.OrgID, r.Files, r.Complete)
		}
		if time.Since(r.SignedAt) > time.Hour {
			t.Errorf("signing time %v", r.SignedAt)
		}
		if i > 0 && (!r.PreviousChecked || r.PreviousSHA256 != f.links[i-1].SHA256 || r.PreviousBatch != f.links[i-1].Batch) {
			t.Errorf("%s: previous %s %s checked %t, want %s", p, r.PreviousBatch, r.PreviousSHA256, r.PreviousChecked, f.links[i-1].SHA256)
		}
		if i == 0 && r.PreviousSHA256 != "" {
			t.Errorf("first seal records a previous seal %s", r.PreviousSHA256)
		}
		if out, err := opensslVerify(t, p, f.ca); err != nil || !strings.Contains(out, "Verification successful") {
			t.Errorf("openssl cms -verify %s: %v\n%s", p, err, out)
		}
	}
}

func TestSealedPackageIsReadOnly(t *testing.T) {
	f := setup(t)
	err := filepath.WalkDir(f.series[0], func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o222 != 0 {
			t.Errorf("%s is writable: %v", p, fi.Mode())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestChainHead(t *testing.T) {
	f := setup(t)
	chain, err := seal.FolderChain(filepath.Dir(f.series[0]))
	if err != nil {
		t.Fatal(err)
	}
	head, err := chain.Head(context.Background(), "H49.64.33")
	if err != nil {
		t.Fatal(err)
	}
	if head == nil || head.Batch != "series-3" || head.SHA256 != f.links[2].SHA256 || head.PreviousSHA256 != f.links[1].SHA256 {
		t.Fatalf("chain head %+v, want series-3 %s after %s", head, f.links[2].SHA256, f.links[1].SHA256)
	}
}

// TestTamperingDetected changes a sealed package in each way that must be
// caught, and checks that verify names the file or the check.
func TestTamperingDetected(t *testing.T) {
	f := setup(t)
	cases := []struct {
		name   string
		tamper func(t *testing.T, dir string) (wantPath, wantCheck, wantText string)
		only   string // when set, every problem must be of this check
	}{
		{name: "payload byte flipped", tamper: func(t *testing.T, dir string) (string, string, string) {
			p := payloadFile(t, dir, ".pdf")
			flipByte(t, filepath.Join(dir, p), 1000)
			return p, seal.CheckFile, "checksum mismatch"
		}},
		{name: "payload file deleted", tamper: func(t *testing.T, dir string) (string, string, string) {
			p := payloadFile(t, dir, ".txt")
			if err := os.Remove(filepath.Join(dir, p)); err != nil {
				t.Fatal(err)
			}
			return p, seal.CheckFile, "missing"
		}},
		{name: "payload file added", tamper: func(t *testing.T, dir string) (string, string, string) {
			write(t, filepath.Join(dir, "data", "extra.pdf"), "%PDF-1.4 not handed over")
			return "data/extra.pdf", seal.CheckFile, "not listed in manifest-sha256.txt"
		}},
		{name: "tag file added", tamper: func(t *testing.T, dir string) (string, string, string) {
			write(t, filepath.Join(dir, "metadata", "notes.txt"), "added later")
			return "metadata/notes.txt", seal.CheckFile, "unexpected file"
		}},
		{name: "bag-info edited", tamper: func(t *testing.T, dir string) (string, string, string) {
			replaceIn(t, filepath.Join(dir, bag.InfoFile), "Sohoa-Batch-Status: complete", "Sohoa-Batch-Status: complete (checked)")
			return bag.InfoFile, seal.CheckFile, "checksum mismatch"
		}},
		{name: "manifests and payload edited consistently", only: seal.CheckSignature, tamper: func(t *testing.T, dir string) (string, string, string) {
			p := payloadFile(t, dir, ".txt")
			oldSum, oldSize := fileSum(t, filepath.Join(dir, p))
			// Same length, so that Payload-Oxum in bag-info.txt still holds.
			text := []byte(read(t, filepath.Join(dir, p)))
			copy(text, "SỬA")
			write(t, filepath.Join(dir, p), string(text))
			newSum, newSize := fileSum(t, filepath.Join(dir, p))
			replaceIn(t, filepath.Join(dir, bag.ManifestFile), oldSum, newSum)
			replaceIn(t, filepath.Join(dir, filepath.FromSlash(bag.METSFile)),
				fmt.Sprintf(`SIZE="%d" CHECKSUM="%s"`, oldSize, oldSum), fmt.Sprintf(`SIZE="%d" CHECKSUM="%s"`, newSize, newSum))
			retag(t, dir, bag.ManifestFile, bag.METSFile)
			return bag.TagManifestFile, seal.CheckSignature, "does not match the signature"
		}},
		{name: "signed with another key", only: seal.CheckCertificate, tamper: func(t *testing.T, dir string) (string, string, string) {
			tm, err := os.ReadFile(filepath.Join(dir, bag.TagManifestFile))
			if err != nil {
				t.Fatal(err)
			}
			der, err := seal.SignCMS(f.other, tm)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, bag.SignatureFile), der, 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := opensslVerify(t, dir, f.ca); err == nil {
				t.Errorf("openssl accepts a signature from another CA's key:\n%s", out)
			}
			return "", seal.CheckCertificate, "not trusted by the given CA"
		}},
		{name: "signature deleted", tamper: func(t *testing.T, dir string) (string, string, string) {
			if err := os.Remove(filepath.Join(dir, bag.SignatureFile)); err != nil {
				t.Fatal(err)
			}
			return bag.SignatureFile, seal.CheckSignature, "not sealed"
		}},
		{name: "METS checksum edited", tamper: func(t *testing.T, dir string) (string, string, string) {
			p := payloadFile(t, dir, ".pdf")
			sum, _ := fileSum(t, filepath.Join(dir, p))
			replaceIn(t, filepath.Join(dir, filepath.FromSlash(bag.METSFile)), sum, strings.Repeat("0", 64))
			retag(t, dir, bag.METSFile)
			return p, seal.CheckMETS, "METS.xml CHECKSUM"
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := sealedCopy(t, f)
			wantPath, wantCheck, wantText := c.tamper(t, dir)
			r := verify(t, dir, seal.VerifyOptions{Roots: f.roots})
			if r.OK() {
				t.Fatal("verify found nothing wrong")
			}
			found := false
			for _, p := range r.Problems {
				if p.Path == wantPath && p.Check == wantCheck && strings.Contains(p.What, wantText) {
					found = true
				}
				// A key the CA does not certify is not the organisation's either.
				if c.only != "" && p.Check != c.only && !(c.only == seal.CheckCertificate && p.Check == seal.CheckSigner) {
					t.Errorf("unexpected problem (want only %s ones): %s", c.only, p)
				}
			}
			if !found {
				t.Errorf("no %s problem on %q containing %q; got:\n%s", wantCheck, wantPath, wantText, lines(r.Problems))
			}
		})
	}
}

func TestPreviousSealMismatch(t *testing.T) {
	f := setup(t)
	// series-2 is taken out: series-3 does not follow series-1.
	r := verify(t, f.series[2], seal.VerifyOptions{Roots: f.roots, Previous: f.series[0]})
	if r.OK() || r.PreviousChecked {
		t.Fatalf("series-3 verified with series-1 as previous: %v", r.Problems)
	}
	if len(r.Problems) != 1 || r.Problems[0].Check != seal.CheckChain || r.Problems[0].Path != bag.InfoFile ||
		!strings.Contains(r.Problems[0].What, "Previous-Seal-SHA256 "+f.links[1].SHA256) {
		t.Errorf("problems:\n%s", lines(r.Problems))
	}
	// The fingerprint from the previous handover record instead of the package.
	r = verify(t, f.series[2], seal.VerifyOptions{Roots: f.roots, PreviousSHA256: strings.ToUpper(f.links[1].SHA256)})
	if !r.OK() || !r.PreviousChecked {
		t.Errorf("series-3 after the fingerprint of series-2: %s", lines(r.Problems))
	}
	r = verify(t, f.series[2], seal.VerifyOptions{Roots: f.roots, PreviousSHA256: f.links[0].SHA256})
	if r.OK() || r.PreviousChecked || !strings.Contains(lines(r.Problems), "is not the given previous seal "+f.links[0].SHA256) {
		t.Errorf("series-3 after the fingerprint of series-1: %s", lines(r.Problems))
	}
	// The first seal has no previous one.
	r = verify(t, f.series[0], seal.VerifyOptions{Roots: f.roots, Previous: f.series[2]})
	if r.OK() || !strings.Contains(lines(r.Problems), "no Previous-Seal-SHA256") {
		t.Errorf("first seal with a previous package: %s", lines(r.Problems))
	}
}

func TestVerifyWithoutCAFails(t *testing.T) {
	f := setup(t)
	r := verify(t, f.series[0], seal.VerifyOptions{})
	if r.OK() || len(r.Problems) != 1 || r.Problems[0].Check != seal.CheckCertificate {
		t.Fatalf("problems:\n%s", lines(r.Problems))
	}
}

func TestSealRefusesSealedAndInvalidBags(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	dir := sealedCopy(t, f)
	if _, err := seal.Seal(ctx, dir, f.signer, nil, nil); err == nil || !strings.Contains(err.Error(), seal.ErrSealed.Error()) {
		t.Errorf("sealing a sealed package: %v", err)
	}
	dir = filepath.Join(t.TempDir(), "bag")
	if err := testenv.CopyTree(f.unsealed, dir); err != nil {
		t.Fatal(err)
	}
	flipByte(t, filepath.Join(dir, payloadFile(t, dir, ".pdf")), 10)
	if _, err := seal.Seal(ctx, dir, f.signer, nil, nil); err == nil || !strings.Contains(err.Error(), "not valid") {
		t.Errorf("sealing an invalid bag: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, bag.SignatureFile)); err == nil {
		t.Error("an invalid bag was signed")
	}
}

func TestLoadSignerRejectsMismatchedKey(t *testing.T) {
	f := setup(t)
	_, err := seal.LoadSigner(filepath.Join(f.dir, "other", seal.DevKeyFile), filepath.Join(f.dir, "keys", seal.DevCertFile))
	if err == nil || !strings.Contains(err.Error(), "does not belong") {
		t.Errorf("mismatched key and certificate: %v", err)
	}
}

// TestMETSAndPremisValidate validates the package's METS (with the E-ARK
// CSIP extension) and PREMIS files against their XML schemas with xmllint,
// offline, and checks what they must hold.
func TestMETSAndPremisValidate(t *testing.T) {
	f := setup(t)
	metsFile := filepath.Join(f.series[0], filepath.FromSlash(bag.METSFile))
	premisFile := filepath.Join(f.series[0], filepath.FromSlash(bag.PremisFile))
	for _, c := range []struct{ schema, file string }{
		{"testdata/schemas/package.xsd", metsFile},
		{"testdata/schemas/mets.xsd", metsFile},
		{"testdata/schemas/premis-v3-0.xsd", premisFile},
	} {
		out, err := tool(t, "xmllint", "--nonet", "--noout", "--schema", c.schema, c.file)
		if err != nil || !strings.Contains(out, "validates") {
			t.Errorf("xmllint --schema %s %s: %v\n%s", c.schema, c.file, err, out)
		}
	}
	m := read(t, metsFile)
	for _, want := range []string{`CHECKSUMTYPE="SHA-256"`, `csip:OAISPACKAGETYPE="SIP"`, "<paperFileCode>H49.K1.G3.H12.45</paperFileCode>",
		"<codeNotation>QĐ-UBND</codeNotation>", `MDTYPE="PREMIS"`, `csip:NOTETYPE="SOFTWARE VERSION">0.0.0-test<`} {
		if !strings.Contains(m, want) {
			t.Errorf("METS.xml lacks %s", want)
		}
	}
	if n := strings.Count(m, "<file "); n != 16 {
		t.Errorf("METS.xml lists %d files, want the 16 payload files", n)
	}
	p := read(t, premisFile)
	for _, want := range []string{"<eventType>capture</eventType>", "<eventType>normalization</eventType>",
		"<eventType>text recognition</eventType>", "<eventType>creation</eventType>", "<eventType>message digest calculation</eventType>",
		"orientation 180°", "engine: Tesseract ", "model: vie.traineddata", "language: vie", "mean confidence: ",
		"<agentType>organization</agentType>", "<agentVersion>0.0.0-test</agentVersion>"} {
		if !strings.Contains(p, want) {
			t.Errorf("premis.xml lacks %s", want)
		}
	}
	if n := strings.Count(p, "<eventType>message digest calculation</eventType>"); n != 4 {
		t.Errorf("%d message digest events, want one per document (4)", n)
	}
}

func flipByte(t *testing.T, file string, at int64) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	b[at%int64(len(b))] ^= 0x01
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, file, s string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func replaceIn(t *testing.T, file, old, new string) {
	t.Helper()
	s := read(t, file)
	if !strings.Contains(s, old) {
		t.Fatalf("%s lacks %q", file, old)
	}
	write(t, file, strings.Replace(s, old, new, 1))
}

func fileSum(t *testing.T, file string) (string, int) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), len(b)
}

// retag rewrites the tag manifest lines of the given tag files, as someone
// covering their tracks would.
func retag(t *testing.T, dir string, files ...string) {
	t.Helper()
	tm := filepath.Join(dir, bag.TagManifestFile)
	m, err := bag.ReadManifest(tm)
	if err != nil {
		t.Fatal(err)
	}
	s := read(t, tm)
	for _, f := range files {
		sum, _ := fileSum(t, filepath.Join(dir, filepath.FromSlash(f)))
		s = strings.Replace(s, m[f]+"  "+f, sum+"  "+f, 1)
	}
	write(t, tm, s)
	if probs, _ := bag.Validate(dir); len(probs) > 0 {
		var b bytes.Buffer
		for _, p := range probs {
			fmt.Fprintln(&b, p)
		}
		t.Fatalf("retagged bag is not valid:\n%s", b.String())
	}
}

func lines(ps []seal.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "  [%s] %s\n", p.Check, p)
	}
	return b.String()
}

// unsealedCopy returns a writable copy of the unsealed package as batch id.
func unsealedCopy(t *testing.T, f *fixture, id string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), id)
	if err := testenv.CopyTree(f.unsealed, dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { seal.MakeWritable(dir) })
	info, err := bag.ReadInfo(filepath.Join(dir, bag.InfoFile))
	if err != nil {
		t.Fatal(err)
	}
	for j := range info {
		if info[j].Label == "External-Identifier" {
			info[j].Value = id
		}
	}
	if err := bag.UpdateInfo(dir, info); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestStoreChain seals packages through a chain kept in an object store, as
// queue workers do: in order, concurrently, and again for a redelivered task.
func TestStoreChain(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	st, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	chain := seal.StoreChain{Store: st}
	a := unsealedCopy(t, f, "store-a")
	la, err := chain.Seal(ctx, a, f.signer)
	if err != nil {
		t.Fatal(err)
	}
	if la.PreviousSHA256 != "" {
		t.Errorf("first seal has a previous one: %+v", la)
	}

	// Two workers seal two packages at once: both succeed, one after the other.
	b, c := unsealedCopy(t, f, "store-b"), unsealedCopy(t, f, "store-c")
	var wg sync.WaitGroup
	links := make([]*seal.Link, 2)
	errs := make([]error, 2)
	for i, dir := range []string{b, c} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			links[i], errs[i] = chain.Seal(ctx, dir, f.signer)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	first, second, firstDir, secondDir := links[0], links[1], b, c
	if first.PreviousSHA256 != la.SHA256 {
		first, second, firstDir, secondDir = links[1], links[0], c, b
	}
	if first.PreviousSHA256 != la.SHA256 || second.PreviousSHA256 != first.SHA256 {
		t.Fatalf("chain a=%s, then %+v, then %+v", la.SHA256, first, second)
	}
	for _, c := range []struct{ dir, prev string }{{firstDir, a}, {secondDir, firstDir}} {
		if r := verify(t, c.dir, seal.VerifyOptions{Roots: f.roots, Previous: c.prev}); !r.OK() || !r.PreviousChecked {
			t.Errorf("%s after %s: %s", c.dir, c.prev, lines(r.Problems))
		}
	}
	head, err := chain.Head(ctx, "H49.64.33")
	if err != nil || head.SHA256 != second.SHA256 {
		t.Fatalf("head %+v %v, want %s", head, err, second.SHA256)
	}

	// The last package task is delivered again: the package is rebuilt
	// unsealed, and gets the same seal back, not a new link.
	again := unsealedCopy(t, f, filepath.Base(secondDir))
	l, err := chain.Seal(ctx, again, f.signer)
	if err != nil {
		t.Fatal(err)
	}
	if l.SHA256 != second.SHA256 {
		t.Errorf("redelivered task sealed anew: %s, want %s", l.SHA256, second.SHA256)
	}
	if r := verify(t, again, seal.VerifyOptions{Roots: f.roots, Previous: firstDir}); !r.OK() {
		t.Errorf("restored seal: %s", lines(r.Problems))
	}
	n := 0
	st.List(ctx, seal.StoreChainPrefix, func(storage.ObjectInfo) error { n++; return nil })
	if n != 3 {
		t.Errorf("%d chain entries, want 3", n)
	}
}

// TestMETSOfIncompleteBatchValidates: a batch with a failed document (a
// truncated scan) still gets METS and PREMIS that validate, with the
// failure recorded as an event outcome and the original listed.
func TestMETSOfIncompleteBatchValidates(t *testing.T) {
	good, err := os.ReadFile("../../testdata/samples/bb-giao-nhan-p01.jpg")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"H49.64.33.2019.01.VTLT/1/p1.jpg": good,
		"H49.64.33.2019.01.VTLT/2/p1.jpg": good[:len(good)/3],
	} {
		p := filepath.Join(dir, "batch", filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	b, err := pipeline.Load(ctx, filepath.Join(dir, "batch"), pipeline.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := pipeline.Process(ctx, b, filepath.Join(dir, "out"), pipeline.Options{Workers: 2})
	if !errors.Is(err, pipeline.ErrIncomplete) {
		t.Fatalf("err = %v, want an incomplete batch", err)
	}
	metsFile := filepath.Join(rep.Bag, filepath.FromSlash(bag.METSFile))
	premisFile := filepath.Join(rep.Bag, filepath.FromSlash(bag.PremisFile))
	for _, c := range []struct{ schema, file string }{
		{"testdata/schemas/package.xsd", metsFile},
		{"testdata/schemas/premis-v3-0.xsd", premisFile},
	} {
		out, err := tool(t, "xmllint", "--nonet", "--noout", "--schema", c.schema, c.file)
		if err != nil || !strings.Contains(out, "validates") {
			t.Errorf("xmllint --schema %s %s: %v\n%s", c.schema, c.file, err, out)
		}
	}
	if p := read(t, premisFile); !strings.Contains(p, "<eventOutcome>failure</eventOutcome>") {
		t.Error("premis.xml does not record the failed document")
	}
	if m := read(t, metsFile); !strings.Contains(m, `xlink:href="data/originals/H49.64.33.2019.01.VTLT/2/p1.jpg"`) {
		t.Error("METS.xml does not list the failed document's original")
	}
}

// TestIntermediateCAAndRSA seals with an RSA key whose certificate was issued
// by an intermediate CA, as an organisation's real certificate usually is:
// the certificate file holds the leaf then the intermediate, the signature
// carries both, and sohoa and openssl verify it against the root alone.
func TestIntermediateCAAndRSA(t *testing.T) {
	f := setup(t)
	dir := t.TempDir()
	now := time.Now()
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	interKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ca := func(cn string, serial int64) *x509.Certificate {
		return &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign}
	}
	rootT, interT := ca("Test Root CA", 1), ca("Test Intermediate CA", 2)
	rootDER, err := x509.CreateCertificate(rand.Reader, rootT, rootT, rootKey.Public(), rootKey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := x509.ParseCertificate(rootDER)
	interDER, err := x509.CreateCertificate(rand.Reader, interT, root, interKey.Public(), rootKey)
	if err != nil {
		t.Fatal(err)
	}
	inter, _ := x509.ParseCertificate(interDER)
	leafT := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "Sở Nội vụ tỉnh Bắc Minh", Organization: []string{"Sở Nội vụ tỉnh Bắc Minh"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafT, inter, leafKey.Public(), interKey)
	if err != nil {
		t.Fatal(err)
	}
	pemOf := func(typ string, der ...[]byte) []byte {
		var b []byte
		for _, d := range der {
			b = append(b, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: d})...)
		}
		return b
	}
	write(t, filepath.Join(dir, "root.pem"), string(pemOf("CERTIFICATE", rootDER)))
	write(t, filepath.Join(dir, "org.pem"), string(pemOf("CERTIFICATE", leafDER, interDER)))
	write(t, filepath.Join(dir, "org.key"), string(pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(leafKey))))
	s, err := seal.LoadSigner(filepath.Join(dir, "org.key"), filepath.Join(dir, "org.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Intermediates) != 1 {
		t.Fatalf("%d intermediates loaded, want 1", len(s.Intermediates))
	}
	pkg := unsealedCopy(t, f, "rsa-1")
	if _, err := seal.Seal(context.Background(), pkg, s, nil, nil); err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root)
	leaf, _ := x509.ParseCertificate(leafDER)
	if r := verify(t, pkg, seal.VerifyOptions{Roots: roots, Trust: seal.NewTrust(testOrgID, leaf)}); !r.OK() || r.SignerSubject() != "CN=Sở Nội vụ tỉnh Bắc Minh,O=Sở Nội vụ tỉnh Bắc Minh" {
		t.Errorf("verify: signer %q, problems:\n%s", r.SignerSubject(), lines(r.Problems))
	}
	if out, err := opensslVerify(t, pkg, filepath.Join(dir, "root.pem")); err != nil {
		t.Errorf("openssl cms -verify with the root only: %v\n%s", err, out)
	}
	// The development CA of the fixture does not trust it.
	if r := verify(t, pkg, seal.VerifyOptions{Roots: f.roots}); r.OK() {
		t.Error("a seal from another hierarchy verified against the development CA")
	}
}
