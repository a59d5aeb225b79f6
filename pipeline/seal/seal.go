// Package seal seals a finished sohoa package and verifies sealed packages.
//
// A seal is a detached CMS (PKCS#7) signature, tagmanifest-sha256.txt.p7s, made
// with the organisation's key over the bag's tag manifest. The tag manifest
// holds the SHA-256 of every tag file: manifest-sha256.txt (and through it every
// payload file), bag-info.txt, metadata/METS.xml (which lists every payload
// file with its checksum and size), metadata/preservation/premis.xml and
// metadata/batch.json. So the signature covers the whole package, and anyone
// can check it without sohoa:
//
//	openssl cms -verify -binary -content tagmanifest-sha256.txt \
//	    -in tagmanifest-sha256.txt.p7s -inform DER -CAfile ca.pem -out /dev/null
//
// # Fingerprint and chain
//
// A seal's fingerprint is the SHA-256 of its signature file
// tagmanifest-sha256.txt.p7s, in lower-case hex (what "sha256sum
// tagmanifest-sha256.txt.p7s" prints). The signature file in turn holds the
// SHA-256 of the tag manifest, the signer's certificate and the signing time,
// so the fingerprint names exactly one sealed package, signed by one key.
//
// Seals of one organisation form a chain: each package records the
// fingerprint of the organisation's previous seal in bag-info.txt as
// Previous-Seal-SHA256 (with Previous-Seal-Batch naming that batch), before
// it is signed. A batch taken out of the middle of a series breaks the chain:
// the next package's Previous-Seal-SHA256 no longer matches the package
// before it. The first seal of an organisation has no previous seal and no
// Previous-Seal-SHA256 label.
//
// Sealed packages on a local disk are made read-only.
package seal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
)

// bag-info.txt labels written by Seal.
const (
	PreviousLabel      = "Previous-Seal-SHA256" // fingerprint of the organisation's previous seal
	PreviousBatchLabel = "Previous-Seal-Batch"  // that seal's batch (External-Identifier)
	SignerLabel        = "Sohoa-Seal-Signer"    // the signing certificate's subject
)

// ErrSealed is returned by Seal for a bag that already has a signature.
var ErrSealed = errors.New("package already sealed")

// Link is a seal in an organisation's chain: which batch, its fingerprint,
// and the fingerprint of the seal before it ("" for the first).
type Link struct {
	Organisation   string    `json:"organisation"` // Organization-Identifier of the bag
	Batch          string    `json:"batch"`        // External-Identifier of the bag
	SHA256         string    `json:"sha256"`       // the seal's fingerprint
	PreviousBatch  string    `json:"previousBatch,omitempty"`
	PreviousSHA256 string    `json:"previousSha256,omitempty"`
	Sealed         time.Time `json:"sealed"` // when Seal made it (the signing time is in the signature)
}

// Seal signs the finished, valid bag at bagDir with s: it records prev (nil
// for an organisation's first seal) in bag-info.txt, updates the tag
// manifest, writes the detached signature tagmanifest-sha256.txt.p7s and
// makes the bag read-only. The bag must hold metadata/METS.xml. With ts (nil
// for none) the signature carries an RFC 3161 timestamp, the time Verify
// judges the certificate at, so that the seal still verifies once the
// certificate has expired; a timestamp that cannot be had leaves the bag
// unsealed. It returns the new seal's link.
func Seal(ctx context.Context, bagDir string, s Signer, prev *Link, ts Stamper) (*Link, error) {
	if s == nil {
		return nil, errors.New("seal: no signer")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("seal %s: %w", bagDir, err)
	}
	if _, err := os.Stat(filepath.Join(bagDir, bag.SignatureFile)); err == nil {
		return nil, fmt.Errorf("seal %s: %w", bagDir, ErrSealed)
	}
	if _, err := os.Stat(filepath.Join(bagDir, filepath.FromSlash(bag.METSFile))); err != nil {
		return nil, fmt.Errorf("seal %s: %w", bagDir, err)
	}
	probs, err := bag.Validate(bagDir)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if len(probs) > 0 {
		return nil, fmt.Errorf("seal %s: the bag is not valid: %s (and %d more)", bagDir, probs[0], len(probs)-1)
	}
	info, err := bag.ReadInfo(filepath.Join(bagDir, bag.InfoFile))
	if err != nil {
		return nil, fmt.Errorf("seal %s: %w", bagDir, err)
	}
	link := &Link{Organisation: info.Get("Organization-Identifier"), Batch: info.Get("External-Identifier"), Sealed: time.Now().UTC()}
	var kept bag.Info
	for _, f := range info {
		switch {
		case strings.EqualFold(f.Label, PreviousLabel), strings.EqualFold(f.Label, PreviousBatchLabel),
			strings.EqualFold(f.Label, SignerLabel):
		default:
			kept = append(kept, f)
		}
	}
	if prev != nil {
		if prev.Organisation != "" && link.Organisation != "" && prev.Organisation != link.Organisation {
			return nil, fmt.Errorf("seal %s: previous seal is of organisation %s, not %s", bagDir, prev.Organisation, link.Organisation)
		}
		link.PreviousBatch, link.PreviousSHA256 = prev.Batch, prev.SHA256
		kept = append(kept, bag.Field{Label: PreviousLabel, Value: prev.SHA256}, bag.Field{Label: PreviousBatchLabel, Value: prev.Batch})
	}
	kept = append(kept, bag.Field{Label: SignerLabel, Value: s.Certificate().Subject.String()})
	if err := bag.UpdateInfo(bagDir, kept); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	tm, err := os.ReadFile(filepath.Join(bagDir, bag.TagManifestFile))
	if err != nil {
		return nil, fmt.Errorf("seal %s: %w", bagDir, err)
	}
	der, err := SignCMSWith(ctx, s, tm, CMSOptions{Stamper: ts})
	if err != nil {
		return nil, fmt.Errorf("seal %s: %w", bagDir, err)
	}
	if err := os.WriteFile(filepath.Join(bagDir, bag.SignatureFile), der, 0o644); err != nil {
		return nil, fmt.Errorf("seal %s: %w", bagDir, err)
	}
	link.SHA256 = fingerprint(der)
	if err := MakeReadOnly(bagDir); err != nil {
		return nil, fmt.Errorf("seal %s: %w", bagDir, err)
	}
	return link, nil
}

// Fingerprint returns the fingerprint of the seal of the package at dir: the
// SHA-256 of its signature file, in lower-case hex.
func Fingerprint(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, bag.SignatureFile))
	if err != nil {
		return "", fmt.Errorf("seal fingerprint: %w", err)
	}
	return fingerprint(b), nil
}

func fingerprint(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// MakeReadOnly removes write permission from every file and folder under dir.
func MakeReadOnly(dir string) error {
	return chmodTree(dir, func(m fs.FileMode) fs.FileMode { return m &^ 0o222 })
}

// MakeWritable gives the owner write permission on every file and folder
// under dir again, for example before a sealed package is replaced.
func MakeWritable(dir string) error {
	return chmodTree(dir, func(m fs.FileMode) fs.FileMode { return m | 0o200 })
}

func chmodTree(dir string, mode func(fs.FileMode) fs.FileMode) error {
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p) // folders last, deepest first, so the walk can still enter them
			return os.Chmod(p, mode(0o755)|0o500)
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return os.Chmod(p, mode(fi.Mode().Perm()))
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Chmod(dirs[i], mode(0o755)); err != nil {
			return err
		}
	}
	return nil
}
