package seal_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/handover/handovertest"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// verifyTargets are the files of a package FuzzVerify replaces with its input.
var verifyTargets = []string{bag.ManifestFile, bag.TagManifestFile, bag.InfoFile, bag.DeclarationFile,
	bag.METSFile, bag.SignatureFile}

// FuzzVerify runs the package verifier on a valid bag one of whose tag files
// (manifests, bag-info.txt, bagit.txt, METS.xml, the signature) is replaced by
// arbitrary bytes: it must never panic or fail to finish, and must never call
// a changed package good. Corpus: testdata/fuzz/FuzzVerify.
func FuzzVerify(f *testing.F) {
	tmpl := filepath.Join(f.TempDir(), "tmpl")
	handovertest.MakeBag(f, tmpl, "fuzz-1", 3)
	files := map[string][]byte{}
	filepath.WalkDir(tmpl, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(tmpl, p)
			files[rel], _ = os.ReadFile(p)
		}
		return nil
	})
	for i, name := range verifyTargets {
		f.Add(uint8(i), files[name])
	}
	f.Add(uint8(4), []byte(`<mets xmlns="http://www.loc.gov/METS/"><fileSec><fileGrp><file ID="f" CHECKSUMTYPE="SHA-256" SIZE="-1"><FLocat href="../../etc/passwd"/></file></fileGrp></fileSec></mets>`))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		dir := filepath.Join(t.TempDir(), "b")
		for rel, body := range files {
			p := filepath.Join(dir, rel)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, body, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		target := verifyTargets[int(which)%len(verifyTargets)]
		p := filepath.Join(dir, filepath.FromSlash(target))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := seal.Verify(context.Background(), dir, seal.VerifyOptions{})
		if err != nil {
			return // a package that cannot be read at all
		}
		if r.OK() {
			t.Fatalf("an unsigned package with %s replaced verified", target)
		}
	})
}
