// Package signertest is the conformance suite every seal.Signer
// implementation runs: the file key and the PKCS#11 token.
package signertest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/smallstep/pkcs7"

	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// Suite describes an implementation under test.
type Suite struct {
	// Signer is the signer under test, open; the suite closes it at the end.
	Signer seal.Signer
	// Interrupt, when set, makes the key unreachable (a token pulled out) and
	// returns a function that makes it reachable again. Implementations whose
	// key cannot become unreachable (a key in memory) leave it nil.
	Interrupt func(t *testing.T) (restore func())
}

// Run checks the seal.Signer contract.
func Run(t *testing.T, s Suite) {
	sg := s.Signer
	t.Cleanup(func() {
		if err := sg.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	t.Run("CertificateMatchesKey", func(t *testing.T) {
		c := sg.Certificate()
		if c == nil {
			t.Fatal("no certificate")
		}
		if !seal.SamePublicKey(c.PublicKey, sg.Public()) {
			t.Error("Public() is not the certificate's key")
		}
		for i, ic := range sg.Chain() {
			if bytes.Equal(ic.Raw, c.Raw) {
				t.Errorf("Chain()[%d] is the signing certificate itself", i)
			}
		}
	})
	t.Run("SignVerifies", func(t *testing.T) {
		d := sha256.Sum256([]byte("sohoa"))
		sig, err := sg.Sign(rand.Reader, d[:], crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if err := verify(sg, d[:], sig); err != nil {
			t.Fatal(err)
		}
		other := sha256.Sum256([]byte("sohoa!"))
		if verify(sg, other[:], sig) == nil {
			t.Fatal("the signature verifies for another digest too")
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d := sha256.Sum256([]byte{byte(i)})
				sig, err := sg.Sign(rand.Reader, d[:], crypto.SHA256)
				if err == nil {
					err = verify(sg, d[:], sig)
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("signature %d: %v", i, err)
			}
		}
	})
	t.Run("CMS", func(t *testing.T) {
		content := []byte("tagmanifest")
		der, err := seal.SignCMS(sg, content)
		if err != nil {
			t.Fatal(err)
		}
		p7, err := pkcs7.Parse(der)
		if err != nil {
			t.Fatal(err)
		}
		p7.Content = content
		if err := p7.Verify(); err != nil {
			t.Fatalf("CMS does not verify: %v", err)
		}
		if len(p7.Certificates) != 1+len(sg.Chain()) {
			t.Errorf("CMS carries %d certificates, want %d", len(p7.Certificates), 1+len(sg.Chain()))
		}
	})
	if s.Interrupt != nil {
		t.Run("UnavailableThenBack", func(t *testing.T) {
			d := sha256.Sum256([]byte("x"))
			restore := s.Interrupt(t)
			_, err := sg.Sign(rand.Reader, d[:], crypto.SHA256)
			if !errors.Is(err, seal.ErrKeyUnavailable) {
				restore()
				t.Fatalf("Sign with the key unreachable: %v, want an error wrapping ErrKeyUnavailable", err)
			}
			restore()
			sig, err := sg.Sign(rand.Reader, d[:], crypto.SHA256)
			if err != nil {
				t.Fatalf("Sign once the key is back: %v", err)
			}
			if err := verify(sg, d[:], sig); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func verify(s seal.Signer, digest, sig []byte) error {
	switch pub := s.Certificate().PublicKey.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig)
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, digest, sig) {
			return errors.New("ECDSA signature does not verify")
		}
		return nil
	}
	return fmt.Errorf("unsupported key %T", s.Certificate().PublicKey)
}
