package handover

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
)

// Verification is what a Verifier found out about a bag.
type Verification struct {
	// Problems lists everything wrong with the bag, one line each; none for a valid bag.
	Problems []string
	// Seal facts, for the handover record. Fingerprint is the hex SHA-256 of the
	// file named by FingerprintOf (relative to the bag root); Signer is the
	// subject of the sealing certificate, empty when the bag is not signed.
	Fingerprint   string
	FingerprintOf string
	Signer        string
	// Signatures describes the digital signature of each PDF of the package,
	// one line per file: its path, the signer and the signing time.
	Signatures []string
}

// OK reports whether no problem was found.
func (v *Verification) OK() bool { return len(v.Problems) == 0 }

// A Verifier checks the bag in dir. It returns an error only when it cannot
// check at all; everything wrong with the bag goes into Verification.Problems.
//
// A verifier of sealed packages wraps the seal check, copying its report's
// problems, the signer certificate's subject and the seal fingerprint into the
// Verification, schematically:
//
//	func(ctx context.Context, dir string) (*handover.Verification, error) {
//		rep, err := seal.Verify(ctx, dir, opts)
//		if err != nil {
//			return nil, err
//		}
//		return &handover.Verification{Problems: rep.Problems, Signer: rep.Signer,
//			Fingerprint: rep.Fingerprint, FingerprintOf: handover.SignatureName}, nil
//	}
type Verifier func(ctx context.Context, dir string) (*Verification, error)

// BagVerifier checks the bag's manifests, payload and Payload-Oxum with
// bag.Validate, and fingerprints it with Fingerprint. It does not check a seal:
// Signer stays empty.
func BagVerifier(ctx context.Context, dir string) (*Verification, error) {
	probs, err := bag.Validate(dir)
	if err != nil {
		return nil, err
	}
	v := &Verification{}
	for _, p := range probs {
		v.Problems = append(v.Problems, p.String())
	}
	if v.Fingerprint, v.FingerprintOf, err = Fingerprint(dir); err != nil {
		return nil, err
	}
	return v, nil
}

// Fingerprint returns the hex SHA-256 of the bag's seal: of the signature
// tagmanifest-sha256.txt.p7s when the bag has one, else of the tag manifest
// tagmanifest-sha256.txt (which fixes every other file through the manifests).
// of names the file hashed.
func Fingerprint(dir string) (sum, of string, err error) {
	for _, name := range []string{SignatureName, TagManifestName} {
		sum, _, err := bag.HashFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", "", fmt.Errorf("fingerprint: %w", err)
		}
		return sum, name, nil
	}
	return "", "", fmt.Errorf("fingerprint %s: neither %s nor %s exists", dir, SignatureName, TagManifestName)
}
