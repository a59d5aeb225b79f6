package handover

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/pades"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// Verification is what a Verifier found out about a bag.
type Verification struct {
	// Outcome is the verdict: only seal.Passed is "Đạt".
	Outcome seal.Outcome
	// Problems lists everything wrong with the bag; none for a bag that passed.
	Problems []seal.Problem
	// SignatureChecked is true when the signature was checked against a CA
	// certificate; the record says plainly when it was not.
	SignatureChecked bool
	// Seal facts, for the handover record. Fingerprint is the hex SHA-256 of
	// the file named by FingerprintOf (relative to the bag root); Signer is the
	// subject of the sealing certificate, empty when the bag is not signed.
	Fingerprint   string
	FingerprintOf string
	Signer        string
	// Signatures describes the digital signature of each PDF of the package,
	// one line per file: its path, the signer and the signing time.
	Signatures []string
}

// OK reports whether the package passed: no problem, signature checked.
func (v *Verification) OK() bool { return v.Outcome == seal.Passed }

// A Verifier checks the bag in dir. It returns an error only when it cannot
// check at all; everything wrong with the bag goes into Verification.Problems.
type Verifier func(ctx context.Context, dir string) (*Verification, error)

// SealVerifier returns the one verifier of packages that sohoa verify, handover
// pull and handover record share: seal.Verify with opts (bag, METS,
// completeness, signature, certificate chain, chain link, opts.Checks), its
// verdict by seal.Report.Outcome. Every PDF's signature is checked too
// (pades.DirCheck, with the same roots, trust and clock), and described per file in Verification.Signatures. A package that is not sealed fails
// ("gói chưa được ký số"); without opts.Roots the signature is not checked
// and the verdict is at best seal.NotChecked.
func SealVerifier(opts seal.VerifyOptions) Verifier {
	return func(ctx context.Context, dir string) (*Verification, error) {
		pdfs := &pades.DirCheck{Options: pades.VerifyOptions{Roots: opts.Roots, Trust: opts.Trust, Now: opts.Now}}
		o := opts
		o.Checks = append(slices.Clip(opts.Checks), pdfs.Check)
		rep, err := seal.Verify(ctx, dir, o)
		if err != nil {
			return nil, err
		}
		v := &Verification{Outcome: rep.Outcome(), Problems: rep.Problems, SignatureChecked: rep.SignatureChecked,
			Fingerprint: rep.Fingerprint, FingerprintOf: bag.SignatureFile, Signer: rep.SignerSubject(),
			Signatures: pades.Lines(pdfs.Results)}
		if v.Fingerprint == "" {
			// Not sealed: the record still fixes the package by its tag manifest.
			if sum, of, err := Fingerprint(dir); err == nil {
				v.Fingerprint, v.FingerprintOf = sum, of
			}
		}
		return v, nil
	}
}

// Fingerprint returns the hex SHA-256 of the bag's seal: of the signature
// tagmanifest-sha256.txt.p7s when the bag has one, else of the tag manifest
// tagmanifest-sha256.txt (which fixes every other file through the manifests).
// of names the file hashed.
func Fingerprint(dir string) (sum, of string, err error) {
	for _, name := range []string{bag.SignatureFile, bag.TagManifestFile} {
		sum, _, err := bag.HashFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", "", fmt.Errorf("fingerprint: %w", err)
		}
		return sum, name, nil
	}
	return "", "", fmt.Errorf("fingerprint %s: neither %s nor %s exists", dir, bag.SignatureFile, bag.TagManifestFile)
}
