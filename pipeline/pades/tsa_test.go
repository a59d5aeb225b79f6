package pades_test

import (
	"context"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/pades"
	"github.com/sohoa-vn/sohoa/pipeline/pades/tsatest"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa"
	"github.com/sohoa-vn/sohoa/pipeline/pdfa/pdfatest"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// TestTimestamp signs with a real RFC 3161 server on loopback: the timestamp
// verifies; with the server stopped the signature fails with the reason
// after the retries; once it is back, signing succeeds.
func TestTimestamp(t *testing.T) {
	s, caFile := devSigner(t)
	tsa := tsatest.Start(t)
	roots := x509.NewCertPool()
	ca := readCA(t, caFile)
	roots.AddCert(ca)
	roots.AddCert(tsa.CA)
	opts := pades.Options{TSA: &pades.TSA{URL: tsa.URL, Retries: 2, Backoff: func(int) time.Duration { return 0 }}}
	in := makePDF(t, pdfa.PDFA2B, 1)

	out, err := pades.Sign(context.Background(), in, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	r := pades.Verify("a.pdf", out, pades.VerifyOptions{Roots: roots})
	if !r.OK() || r.Timestamp.IsZero() {
		t.Fatalf("timestamped signature: timestamp %v, problems %v", r.Timestamp, r.Problems)
	}
	if d := r.Timestamp.Sub(time.Now()); d > time.Minute || d < -time.Minute {
		t.Errorf("timestamp %v is not now", r.Timestamp)
	}
	added := len(out) - len(in)
	if added > 20*1024 {
		t.Errorf("a timestamped signature added %d bytes, over 20 KB", added)
	}
	t.Logf("a timestamped signature added %d bytes", added)
	rep := pdfatest.Tool(t, "pdfsig", writeTemp(t, "ts.pdf", out))
	contains(t, "pdfsig", rep, "Signature is Valid", "Total document signed")
	// Without the TSA's CA among the roots, the timestamp is not trusted.
	only := x509.NewCertPool()
	only.AddCert(ca)
	if r := pades.Verify("a.pdf", out, pades.VerifyOptions{Roots: only}); r.OK() || r.Problems[0].Check != pades.CheckTimestamp {
		t.Errorf("timestamp from an untrusted TSA: %v", r.Problems)
	}

	tsa.Stop()
	served := tsa.Served()
	_, err = pades.Sign(context.Background(), in, s, opts)
	if !errors.Is(err, pades.ErrTSA) || !strings.Contains(err.Error(), tsa.URL) || !strings.Contains(err.Error(), "3 attempts") {
		t.Errorf("signing with the TSA stopped: %v, want ErrTSA naming the URL after 3 attempts", err)
	}
	tsa.Restart()
	out, err = pades.Sign(context.Background(), in, s, opts)
	if err != nil {
		t.Fatalf("signing once the TSA is back: %v", err)
	}
	t.Logf("the next timestamped signature added %d bytes", len(out)-len(in))
	if r := pades.Verify("a.pdf", out, pades.VerifyOptions{Roots: roots}); !r.OK() || r.Timestamp.IsZero() {
		t.Errorf("after the TSA came back: timestamp %v, problems %v", r.Timestamp, r.Problems)
	}
	if tsa.Served() != served+1 {
		t.Errorf("TSA served %d timestamps, want %d", tsa.Served(), served+1)
	}
}

func readCA(t testing.TB, file string) *x509.Certificate {
	t.Helper()
	b := mustRead(t, file)
	certs, err := seal.ParseCertificates(b)
	if err != nil {
		t.Fatal(err)
	}
	return certs[0]
}
