// Package tsatest runs a real RFC 3161 time-stamping server on loopback for
// tests: requests are parsed and responses built and signed with
// github.com/digitorus/timestamp, by a TSA certificate (extended key usage
// timeStamping) issued by the server's own CA.
package tsatest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
)

// Server is a loopback TSA that can be stopped and started again. It keeps
// its port while stopped (so that no other program on the machine can take
// it and answer in its place) but refuses service: every connection is
// closed without an answer, as by a TSA that is down.
type Server struct {
	URL   string
	CA    *x509.Certificate // the CA that issued the TSA certificate
	CAPEM []byte

	cert *x509.Certificate
	key  crypto.Signer
	srv  *http.Server
	down atomic.Bool

	mu     sync.Mutex
	served int
}

// Start starts a TSA; it is closed when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sohoa test TSA CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caT, caT, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	eku, _ := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
	tT := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "sohoa test TSA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}}}
	der, err := x509.CreateCertificate(rand.Reader, tT, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{cert: cert, key: key, CA: ca, CAPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})}
	s.URL = "http://" + ln.Addr().String() + "/tsa"
	s.srv = &http.Server{Handler: http.HandlerFunc(s.handle)}
	go s.srv.Serve(refusing{ln, s})
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// refusing closes the connections it accepts while the server is down.
type refusing struct {
	net.Listener
	s *Server
}

func (l refusing) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || !l.s.down.Load() {
			return c, err
		}
		c.Close()
	}
}

// Stop takes the TSA down: from now on every request fails without an answer.
func (s *Server) Stop() {
	s.down.Store(true)
	s.srv.SetKeepAlivesEnabled(false) // closes idle connections
}

// Restart brings the TSA back.
func (s *Server) Restart() {
	s.srv.SetKeepAlivesEnabled(true)
	s.down.Store(false)
}

// Served is the number of timestamps issued.
func (s *Server) Served() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.served
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	if s.down.Load() {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil || r.Header.Get("Content-Type") != "application/timestamp-query" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	req, err := timestamp.ParseRequest(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ts := timestamp.Timestamp{HashAlgorithm: req.HashAlgorithm, HashedMessage: req.HashedMessage, Time: time.Now().UTC(),
		Nonce: req.Nonce, Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, AddTSACertificate: req.Certificates,
		Accuracy: time.Second}
	resp, err := ts.CreateResponseWithOpts(s.cert, s.key, crypto.SHA256)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	s.served++
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/timestamp-reply")
	w.Write(resp)
}
