package token

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/ThalesGroup/crypto11"

	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// SoftHSMModule is where Debian's softhsm2 package installs its PKCS#11 library.
const SoftHSMModule = "/usr/lib/softhsm/libsofthsm2.so"

// Development token defaults used by "sohoa keygen --pkcs11".
const (
	DevTokenLabel = "sohoa-dev"
	DevKeyLabel   = "sohoa-seal-dev"
	DevKeyID      = "5eed"
)

// DevToken describes a development key written by WriteDevelopmentToken.
type DevToken struct {
	Config Config // the token and key, with the PIN
	CA     string // PEM file of the development CA that issued the key's certificate
	Conf   string // the SOFTHSM2_CONF file naming the token folder
}

// WriteDevelopmentToken makes a DEVELOPMENT signing key on a SoftHSM2 token
// kept in dir: it writes dir/softhsm2.conf (pointing at dir/tokens), sets
// nothing in the process environment (the caller exports SOFTHSM2_CONF),
// initialises a token labelled DevTokenLabel with the given user PIN,
// generates an ECDSA P-256 key on it, and stores on the token a certificate
// for it issued by a throw-away CA written to dir/ca.pem. The certificate's
// subject says it is for development only. softhsm2-util must be installed.
// The caller must have set SOFTHSM2_CONF to the returned Conf before any
// PKCS#11 use in this process (the module reads it when loaded).
func WriteDevelopmentToken(dir, org, pin string, now time.Time) (*DevToken, error) {
	if pin == "" {
		return nil, errors.New("keygen: no PIN")
	}
	tokens := filepath.Join(dir, "tokens")
	if err := os.MkdirAll(tokens, 0o700); err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	if _, err := os.Stat(conf); err == nil {
		return nil, fmt.Errorf("keygen: %s already exists", conf)
	}
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	cmd := exec.Command("softhsm2-util", "--init-token", "--free", "--label", DevTokenLabel, "--pin", pin, "--so-pin", pin+"-so")
	cmd.Env = append(os.Environ(), "SOFTHSM2_CONF="+conf)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("keygen: softhsm2-util --init-token: %v: %s", err, bytes.TrimSpace(out))
	}
	if os.Getenv("SOFTHSM2_CONF") != conf {
		return nil, fmt.Errorf("keygen: SOFTHSM2_CONF must be %s in this process", conf)
	}
	cfg := Config{Module: SoftHSMModule, TokenLabel: DevTokenLabel, KeyLabel: DevKeyLabel, KeyID: DevKeyID, PIN: pin}
	ctx, err := crypto11.Configure(&crypto11.Config{Path: cfg.Module, TokenLabel: cfg.TokenLabel, Pin: pin})
	if err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	defer ctx.Close()
	id := []byte{0x5e, 0xed}
	key, err := ctx.GenerateECDSAKeyPairWithLabel(id, []byte(DevKeyLabel), elliptic.P256())
	if err != nil {
		return nil, fmt.Errorf("keygen: generate key on the token: %w", err)
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	ca, caDER, err := seal.DevelopmentCA(org, caKey, now)
	if err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	cert, err := seal.DevelopmentCertificate(org, key.Public(), ca, caKey, now)
	if err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	if err := ctx.ImportCertificateWithLabel(id, []byte(DevKeyLabel), cert); err != nil {
		return nil, fmt.Errorf("keygen: store the certificate on the token: %w", err)
	}
	caFile := filepath.Join(dir, seal.DevCAFile)
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		return nil, fmt.Errorf("keygen: %w", err)
	}
	return &DevToken{Config: cfg, CA: caFile, Conf: conf}, nil
}

// HasSoftHSM reports whether SoftHSM2 (its module and softhsm2-util) is installed.
func HasSoftHSM() bool {
	if _, err := os.Stat(SoftHSMModule); err != nil {
		return false
	}
	_, err := exec.LookPath("softhsm2-util")
	return err == nil
}
