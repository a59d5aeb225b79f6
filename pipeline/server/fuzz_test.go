package server

import (
	"archive/tar"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzUntar feeds arbitrary bytes to the tar upload reader. Whatever the
// input: no panic; an error is the client's (errUpload, a 400), never the
// server's, and never shows the server's folder; what is unpacked is only
// regular files and folders under the batch folder, no bigger in all than
// the input (no expansion). Its corpus is testdata/fuzz/FuzzUntar (the
// attack cases and valid batches); "make fuzz" runs it longer.
func FuzzUntar(f *testing.F) {
	f.Add(craftTar(f, file("lo-1/H49.64.33.2024.01.VTLT/1/page-001.jpg"), file("lo-1/batch.json")))
	f.Add(craftTar(f, tarEntry{name: "./", typeflag: tar.TypeDir}, tarEntry{name: "lo-1/", typeflag: tar.TypeDir}, file("lo-1/a/b.tif")))
	f.Add(craftTar(f, file(longName)))
	f.Add(craftTar(f, file("lo-1/H1/1"), file("lo-1/H1/1/page-001.jpg")))
	f.Add(craftTar(f, tarEntry{name: "lo-1/l", typeflag: tar.TypeSymlink, link: "/etc/passwd"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		root := filepath.Join(dir, "batch")
		err := untar(bytes.NewReader(data), root)
		if err != nil {
			if !errors.Is(err, errUpload) {
				t.Fatalf("not the client's fault (would be a 500): %v", err)
			}
			if strings.Contains(err.Error(), dir) {
				t.Fatalf("the error shows the server's folder: %v", err)
			}
		}
		var size int64
		files := 0
		werr := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != dir && p != root && !strings.HasPrefix(p, root+string(os.PathSeparator)) {
				t.Errorf("%s: outside the batch folder", p)
			}
			info, err := os.Lstat(p)
			if err != nil {
				return err
			}
			switch {
			case info.Mode().IsRegular():
				size += info.Size()
				files++
			case info.IsDir():
			default:
				t.Errorf("%s: %v, not a file or folder", p, info.Mode())
			}
			return nil
		})
		if werr != nil {
			t.Fatal(werr)
		}
		if size > int64(len(data)) {
			t.Errorf("%d bytes of input unpacked to %d bytes", len(data), size)
		}
		if err == nil && files == 0 {
			t.Errorf("accepted with no file unpacked")
		}
	})
}
