// Package token reaches the organisation's signing key on a PKCS#11 device
// (a USB token, an HSM, or SoftHSM2 for development) through
// github.com/ThalesGroup/crypto11, as a seal.Signer.
//
// The key never leaves the device: signing sends a digest to it. The PIN comes
// from the environment or a file (Config.PIN is filled by the caller), never
// from a flag. A token that is removed, locked or logged out makes Sign fail
// with an error wrapping seal.ErrKeyUnavailable; the next Sign connects to the
// token again, so work retried once the token is back succeeds.
package token

import (
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/ThalesGroup/crypto11"

	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// Config says which token and key to use.
type Config struct {
	Module     string // path of the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so
	TokenLabel string // the token's label; or
	Slot       *int   // its slot number (exactly one of TokenLabel and Slot)
	KeyLabel   string // the private key's CKA_LABEL; or
	KeyID      string // its CKA_ID in hex (at least one of KeyLabel and KeyID)
	PIN        string // the user PIN
	// CertFile, when set, is a PEM file with the key's certificate then any
	// intermediate CA certificates. When empty the certificate is read from
	// the token (the certificate object with the key's label or ID).
	CertFile string
}

func (c Config) describe() string {
	t := fmt.Sprintf("token %q", c.TokenLabel)
	if c.TokenLabel == "" && c.Slot != nil {
		t = fmt.Sprintf("token in slot %d", *c.Slot)
	}
	k := c.KeyLabel
	if k == "" {
		k = "id " + c.KeyID
	}
	return fmt.Sprintf("PKCS#11 %s, key %q", t, k)
}

// Signer is a key on a PKCS#11 token with its certificate.
type Signer struct {
	cfg   Config
	id    []byte
	cert  *x509.Certificate
	chain []*x509.Certificate

	mu  sync.Mutex
	ctx *crypto11.Context // nil when disconnected
	key crypto11.Signer
}

// Open connects to the token, logs in, finds the key and its certificate,
// and checks that they belong together.
func Open(cfg Config) (*Signer, error) {
	if cfg.Module == "" {
		return nil, errors.New("pkcs11: no module path")
	}
	if (cfg.TokenLabel == "") == (cfg.Slot == nil) {
		return nil, errors.New("pkcs11: give exactly one of the token label and the slot")
	}
	if cfg.KeyLabel == "" && cfg.KeyID == "" {
		return nil, errors.New("pkcs11: give the key label or the key id")
	}
	if cfg.PIN == "" {
		return nil, fmt.Errorf("pkcs11: no PIN for %s (set it in the environment or a PIN file)", cfg.describe())
	}
	s := &Signer{cfg: cfg}
	if cfg.KeyID != "" {
		id, err := hex.DecodeString(strings.TrimPrefix(cfg.KeyID, "0x"))
		if err != nil {
			return nil, fmt.Errorf("pkcs11: key id %q is not hex: %w", cfg.KeyID, err)
		}
		s.id = id
	}
	if err := s.connect(); err != nil {
		return nil, err
	}
	if cfg.CertFile != "" {
		b, err := os.ReadFile(cfg.CertFile)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("pkcs11: certificate: %w", err)
		}
		certs, err := seal.ParseCertificates(b)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("pkcs11: certificate %s: %w", cfg.CertFile, err)
		}
		s.cert, s.chain = certs[0], certs[1:]
	} else {
		c, err := s.ctx.FindCertificate(s.id, label(cfg.KeyLabel), nil)
		if err != nil || c == nil {
			s.Close()
			return nil, fmt.Errorf("pkcs11: no certificate for the key on %s (or give seal.certFile): %v", cfg.describe(), err)
		}
		s.cert = c
	}
	if !seal.SamePublicKey(s.key.Public(), s.cert.PublicKey) {
		s.Close()
		return nil, fmt.Errorf("pkcs11: the key on %s does not belong to the certificate %s", cfg.describe(), s.cert.Subject)
	}
	return s, nil
}

func label(l string) []byte {
	if l == "" {
		return nil
	}
	return []byte(l)
}

// connect opens the module, logs in and finds the key. s.mu is held or s is not shared yet.
func (s *Signer) connect() error {
	c := &crypto11.Config{Path: s.cfg.Module, TokenLabel: s.cfg.TokenLabel, SlotNumber: s.cfg.Slot, Pin: s.cfg.PIN}
	ctx, err := crypto11.Configure(c)
	if err != nil {
		return fmt.Errorf("pkcs11: %s: %w: %v", s.cfg.describe(), seal.ErrKeyUnavailable, err)
	}
	key, err := ctx.FindKeyPair(s.id, label(s.cfg.KeyLabel))
	if err != nil || key == nil {
		ctx.Close()
		if err == nil {
			err = errors.New("no such key on the token")
		}
		return fmt.Errorf("pkcs11: %s: %w: %v", s.cfg.describe(), seal.ErrKeyUnavailable, err)
	}
	s.ctx, s.key = ctx, key
	return nil
}

func (s *Signer) disconnect() {
	if s.ctx != nil {
		s.ctx.Close()
	}
	s.ctx, s.key = nil, nil
}

// Certificate returns the signing certificate.
func (s *Signer) Certificate() *x509.Certificate { return s.cert }

// Chain returns the intermediate CA certificates.
func (s *Signer) Chain() []*x509.Certificate { return s.chain }

// Public returns the certificate's public key.
func (s *Signer) Public() crypto.PublicKey { return s.cert.PublicKey }

// Sign has the token sign digest. A failure disconnects, so that the next
// call connects again (the token may have been replugged or unlocked).
func (s *Signer) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key == nil {
		if err := s.connect(); err != nil {
			return nil, err
		}
	}
	sig, err := s.key.Sign(rand, digest, opts)
	if err != nil {
		s.disconnect()
		return nil, fmt.Errorf("pkcs11: %s: signing failed: %w: %v", s.cfg.describe(), seal.ErrKeyUnavailable, err)
	}
	return sig, nil
}

// Close logs out and releases the module.
func (s *Signer) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.disconnect()
	return nil
}
