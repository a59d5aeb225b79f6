// Package handovertest builds small BagIt packages shaped like sohoa's, and
// puts them into stores under the archive layout (<batch id>/<path in the
// bag>), for the tests of handover, fixity and the command.
package handovertest

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/s3"
)

// Organisation is the organisation name of the packages MakeBag builds.
const Organisation = "Trung tâm Lưu trữ lịch sử tỉnh Bắc Minh"

// MakeBag writes a valid bag for batch id at dir with files payload files
// spread over two hồ sơ (time range 05/2019 to 17/09/2025), a Vietnamese
// organisation name, file names with Vietnamese letters, and returns the
// SHA-256 of every file of the bag by path relative to the bag root.
func MakeBag(t testing.TB, dir, id string, files int) map[string]string {
	t.Helper()
	w, err := bag.Create(dir, bag.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	codes := []string{"H49.64.33.2019.01.VTLT", "H49.64.33.2025.02.VTLT"}
	for i := range files {
		code := codes[i%2]
		name := fmt.Sprintf("%s/%s.%d.pdf", code, code, i+1)
		if i%5 == 4 {
			name = fmt.Sprintf("originals/%s/biên-bản-giao-nhận-%03d.jpg", code, i+1)
		}
		body := strings.Repeat(fmt.Sprintf("nội dung tệp %d — ", i+1), 50+i*7)
		if _, err := w.AddPayload(name, strings.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	meta := fmt.Sprintf(`{
  "id": %q,
  "organisation": {"name": %q, "identifier": "H49.64.33"},
  "files": [
    {"fileCode": %q, "title": "Hồ sơ chỉnh lý tài liệu", "startDate": "05/2019", "endDate": "12/11/2020"},
    {"fileCode": %q, "title": "Hồ sơ giao nộp tài liệu", "startDate": "25/06/2025", "endDate": "17/09/2025"}
  ]
}
`, id, Organisation, codes[0], codes[1])
	if _, err := w.AddTag(bag.BatchRecordFile, strings.NewReader(meta)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Finish(bag.Info{{Label: "Source-Organization", Value: Organisation},
		{Label: "External-Identifier", Value: id}, {Label: "Sohoa-Batch-Status", Value: "complete"}}); err != nil {
		t.Fatal(err)
	}
	return HashTree(t, dir)
}

// HashTree returns the SHA-256 of every file under dir by slash-separated relative path.
func HashTree(t testing.TB, dir string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		sums[filepath.ToSlash(rel)], _, err = bag.HashFile(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

// Upload puts every file of the bag at dir into s under id/<path in the bag>,
// as the queue's package task does.
func Upload(t testing.TB, s storage.Store, dir, id string) {
	t.Helper()
	ctx := context.Background()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = s.Put(ctx, path.Join(id, filepath.ToSlash(rel)), f, -1, storage.PutOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Manifest returns the payload manifest of the bag at dir: SHA-256 by path.
func Manifest(t testing.TB, dir string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, bag.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := bag.ParseManifest(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// MinIOStore returns a new, unlocked bucket named prefix-<random> on the test
// MinIO started by scripts/with-services.sh; it fails the test when there is none.
func MinIOStore(t testing.TB, prefix string) *s3.Store {
	t.Helper()
	svc := testenv.Get(t)
	s, err := s3.New(context.Background(), s3.Config{Endpoint: svc.S3Endpoint, Bucket: prefix + "-" + testenv.BucketPrefix(t),
		AccessKey: svc.S3AccessKey, SecretKey: svc.S3SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
