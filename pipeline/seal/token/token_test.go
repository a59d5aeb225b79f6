package token_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/seal/signertest"
	"github.com/sohoa-vn/sohoa/pipeline/seal/token"
)

// TestSoftHSM runs the signer conformance suite against a key on a real
// SoftHSM2 token initialised here (temporary SOFTHSM2_CONF). Pulling the
// token out is done by moving its folder away: SoftHSM2 then answers as for
// a missing token.
func TestSoftHSM(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SOFTHSM2_CONF", filepath.Join(dir, "softhsm2.conf"))
	dt, err := token.WriteDevelopmentToken(dir, "Sở Nội vụ tỉnh Bắc Minh", "1234", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s, err := token.Open(dt.Config)
	if err != nil {
		t.Fatal(err)
	}
	signertest.Run(t, signertest.Suite{Signer: s, Interrupt: func(t *testing.T) func() {
		tokens, gone := filepath.Join(dir, "tokens"), filepath.Join(dir, "unplugged")
		if err := os.Rename(tokens, gone); err != nil {
			t.Fatal(err)
		}
		return func() {
			if err := os.Rename(gone, tokens); err != nil {
				t.Fatal(err)
			}
		}
	}})
}

func TestOpenRefusals(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SOFTHSM2_CONF", filepath.Join(dir, "softhsm2.conf"))
	dt, err := token.WriteDevelopmentToken(dir, "Sở Nội vụ", "1234", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(c *token.Config){
		"wrong PIN":   func(c *token.Config) { c.PIN = "9999" },
		"no PIN":      func(c *token.Config) { c.PIN = "" },
		"no such key": func(c *token.Config) { c.KeyLabel, c.KeyID = "other", "" },
		"no token":    func(c *token.Config) { c.TokenLabel = "absent" },
	} {
		c := dt.Config
		mod(&c)
		if s, err := token.Open(c); err == nil {
			s.Close()
			t.Errorf("%s: opened", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
