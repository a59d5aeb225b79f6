// Package s3test starts dedicated MinIO servers for tests that stop and start
// them (an outage) or need several independent S3 endpoints (archive copies):
// the binary scripts/with-services.sh uses, on free loopback ports, with its
// own data folder; and counts the requests a store sends (Requests).
package s3test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/sohoa-vn/sohoa/pipeline/testenv"
)

// Credentials of every server started here.
const (
	AccessKey = "sohoa-copy"
	SecretKey = "sohoa-copy-secret-key"
)

// Server is a MinIO process of one test.
type Server struct {
	Addr string // host:port of the S3 API
	Dir  string // data folder

	bin, console string
	cmd          *exec.Cmd
	log          *os.File
}

// Start starts a MinIO server and stops it when the test ends; it fails the
// test if there is no minio binary in PATH or $(go env GOPATH)/bin.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("minio")
	if err != nil {
		gopath, gerr := exec.Command("go", "env", "GOPATH").Output()
		if gerr != nil {
			t.Fatalf("go env GOPATH: %v", gerr)
		}
		bin = filepath.Join(strings.TrimSpace(string(gopath)), "bin", "minio")
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("minio not found in PATH or %s (install it with scripts/deps.sh --services)", bin)
		}
	}
	m := &Server{bin: bin, Dir: t.TempDir(), Addr: testenv.FreeAddr(t), console: testenv.FreeAddr(t)}
	if m.log, err = os.Create(filepath.Join(t.TempDir(), "minio.log")); err != nil {
		t.Fatal(err)
	}
	m.Start(t)
	t.Cleanup(func() { m.Stop(); m.log.Close() })
	return m
}

// Start (re)starts the server on its address and data folder and waits until
// it serves requests.
func (m *Server) Start(t testing.TB) {
	t.Helper()
	m.cmd = exec.Command(m.bin, "server", "--quiet", "--address", m.Addr, "--console-address", m.console, m.Dir)
	m.cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+AccessKey, "MINIO_ROOT_PASSWORD="+SecretKey)
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	client, err := minio.New(m.Addr, &minio.Options{Creds: credentials.NewStaticV4(AccessKey, SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		// Health checks pass before MinIO serves requests ("Server not
		// initialized yet"): wait for a real one.
		_, err := client.ListBuckets(context.Background())
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("minio at %s did not start: %v (log in %s)", m.Addr, err, m.log.Name())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop kills the server at once, as a crash or a pulled cable would.
func (m *Server) Stop() {
	if m.cmd == nil {
		return
	}
	m.cmd.Process.Kill()
	m.cmd.Wait()
	m.cmd = nil
}
