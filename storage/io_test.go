package storage_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/local"
)

// TestDownload checks the one checksummed download: the file appears only
// when the content matches the SHA-256 asked for, and a mismatch leaves
// nothing at the destination or beside it.
func TestDownload(t *testing.T) {
	ctx := context.Background()
	s, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	content := "the original page"
	sum := sha256.Sum256([]byte(content))
	want := hex.EncodeToString(sum[:])
	if _, err := s.Put(ctx, "b1/p.jpg", strings.NewReader(content), int64(len(content)), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var progress int64
	dst := filepath.Join(dir, "sub", "p.jpg")
	info, err := storage.Download(ctx, s, "b1/p.jpg", dst, storage.DownloadOptions{SHA256: want, Progress: func(n int64) { progress += n }})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); string(got) != content || info.SHA256 != want || info.Size != int64(len(content)) || progress != info.Size {
		t.Errorf("Download = %+v, file %q, progress %d; want %s, %d bytes", info, got, progress, want, len(content))
	}

	bad := filepath.Join(dir, "bad.jpg")
	info, err = storage.Download(ctx, s, "b1/p.jpg", bad, storage.DownloadOptions{SHA256: strings.Repeat("0", 64)})
	if !errors.Is(err, storage.ErrChecksum) || info.SHA256 != want {
		t.Fatalf("Download with the wrong SHA-256 = %+v, %v; want ErrChecksum and the content's SHA-256", info, err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != "sub" {
		t.Errorf("after a checksum mismatch the folder holds %v, want only sub", ents)
	}

	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := storage.Download(ctx2, s, "b1/p.jpg", bad, storage.DownloadOptions{}); err == nil {
		t.Error("Download with a cancelled context succeeded")
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("a cancelled download left %s: %v", bad, err)
	}
}
