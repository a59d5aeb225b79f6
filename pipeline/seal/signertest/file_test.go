package signertest_test

import (
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/pipeline/seal/signertest"
)

func TestFileSigner(t *testing.T) {
	k, err := seal.WriteDevelopmentKeys(t.TempDir(), "Sở Nội vụ", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s, err := seal.LoadSigner(k.Key, k.Cert)
	if err != nil {
		t.Fatal(err)
	}
	signertest.Run(t, signertest.Suite{Signer: s})
}
