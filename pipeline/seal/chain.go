package seal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
)

// ChainDir is the folder, inside an output folder, that holds the chain heads.
const ChainDir = ".sohoa-seals"

// LocalChain keeps, for packages written to one output folder, the last seal
// of each organisation: the file Dir/.sohoa-seals/<Organization-Identifier>.json
// holds its Link. The rule: the previous seal of a package is the last seal
// made in the same output folder for the same Organization-Identifier. A
// package sealed again under the same batch id (process --overwrite) takes
// the place of its earlier seal and links to the seal before that.
type LocalChain struct {
	Dir string // the output folder
}

// Head returns the organisation's last seal, or nil when it has none yet.
func (c LocalChain) Head(org string) (*Link, error) {
	b, err := os.ReadFile(c.headFile(org))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("seal chain: %w", err)
	}
	var l Link
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("seal chain %s: %w", c.headFile(org), err)
	}
	return &l, nil
}

func (c LocalChain) headFile(org string) string {
	return filepath.Join(c.Dir, ChainDir, safeName(org)+".json")
}

// safeName makes an organisation identifier ("H49.64.33") a file name.
func safeName(org string) string {
	if org == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 || r == ':' {
			return '_'
		}
		return r
	}, org)
}

// Seal seals the package at bagDir with s as the next link of its
// organisation's chain, and makes it the chain's head. Seals of one
// organisation into one output folder are serialised with a file lock.
func (c LocalChain) Seal(ctx context.Context, bagDir string, s Signer) (*Link, error) {
	info, err := bag.ReadInfo(filepath.Join(bagDir, bag.InfoFile))
	if err != nil {
		return nil, fmt.Errorf("seal %s: %w", bagDir, err)
	}
	org, batch := info.Get("Organization-Identifier"), info.Get("External-Identifier")
	if err := os.MkdirAll(filepath.Join(c.Dir, ChainDir), 0o755); err != nil {
		return nil, fmt.Errorf("seal chain: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(c.Dir, ChainDir, safeName(org)+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("seal chain: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, fmt.Errorf("seal chain: lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	prev, err := c.Head(org)
	if err != nil {
		return nil, err
	}
	if prev != nil && prev.Batch == batch {
		prev = &Link{Organisation: org, Batch: prev.PreviousBatch, SHA256: prev.PreviousSHA256}
		if prev.SHA256 == "" {
			prev = nil
		}
	}
	link, err := Seal(ctx, bagDir, s, prev)
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(link, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("seal chain: %w", err)
	}
	if err := writeHead(c.headFile(org), append(b, '\n')); err != nil {
		// The seal and its chain entry are one step: without the entry the
		// package is unsealed again, so that what is reported is true and a
		// new run seals it with the right link.
		if uerr := unseal(bagDir); uerr != nil {
			return nil, fmt.Errorf("seal %s: %w (SHA-256 %s) but its chain entry could not be written (%v), and removing the seal failed: %v", bagDir, ErrSealedNotChained, link.SHA256, err, uerr)
		}
		return nil, fmt.Errorf("seal chain: writing the chain entry failed, so the package was left unsealed: %w", err)
	}
	return link, nil
}
