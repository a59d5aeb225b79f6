package handover_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
	"github.com/sohoa-vn/sohoa/pipeline/handover"
	"github.com/sohoa-vn/sohoa/pipeline/handover/handovertest"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/local"
)

func localStore(t *testing.T) (*local.Store, string) {
	t.Helper()
	root := t.TempDir()
	s, err := local.New(root)
	if err != nil {
		t.Fatal(err)
	}
	return s, root
}

func testPull(t *testing.T, store storage.Store) {
	ctx := context.Background()
	const id = "lo-2025-001"
	src := filepath.Join(t.TempDir(), id)
	want := handovertest.MakeBag(t, src, id, 12)
	handovertest.Upload(t, store, src, id)

	out := filepath.Join(t.TempDir(), "handover")
	var last, total int64
	res, err := handover.Pull(ctx, store, id, out, handover.PullOptions{Progress: func(d, tot int64) { last, total = d, tot }})
	if err != nil {
		t.Fatal(err)
	}
	got := handovertest.HashTree(t, res.Bag)
	if !maps.Equal(got, want) {
		t.Fatalf("pulled bag differs from the stored one:\n got %v\nwant %v", got, want)
	}
	if res.Files != len(want) || last != total || res.Bytes != total {
		t.Errorf("result %+v, progress %d of %d; want %d files", res, last, total, len(want))
	}
	if len(res.Unlisted) != 1 || res.Unlisted[0] != bag.TagManifestFile {
		t.Errorf("unlisted = %v, want only the tag manifest", res.Unlisted)
	}
	if probs, err := bag.Validate(res.Bag); err != nil || len(probs) != 0 {
		t.Fatalf("pulled bag does not validate: %v, %v", probs, err)
	}

	// A second pull into the same folder is refused.
	if _, err := handover.Pull(ctx, store, id, out, handover.PullOptions{}); !errors.Is(err, handover.ErrNotEmpty) {
		t.Errorf("pull into a non-empty folder: %v, want ErrNotEmpty", err)
	}
	if _, err := handover.Pull(ctx, store, "no-such-batch", t.TempDir(), handover.PullOptions{}); !errors.Is(err, handover.ErrNoPackage) {
		t.Errorf("pull of an unknown batch: %v, want ErrNoPackage", err)
	}

	// A package whose stored payload file differs from its manifest.
	const bad = "lo-2025-002"
	src2 := filepath.Join(t.TempDir(), bad)
	handovertest.MakeBag(t, src2, bad, 6)
	victim := "data/H49.64.33.2025.02.VTLT/H49.64.33.2025.02.VTLT.4.pdf"
	if err := os.WriteFile(filepath.Join(src2, filepath.FromSlash(victim)), []byte("đã bị sửa"), 0o644); err != nil {
		t.Fatal(err)
	}
	handovertest.Upload(t, store, src2, bad)
	_, err = handover.Pull(ctx, store, bad, t.TempDir(), handover.PullOptions{})
	var ce *handover.ChecksumError
	if !errors.As(err, &ce) || ce.Path != victim || !strings.Contains(err.Error(), victim) {
		t.Fatalf("pull of a tampered package: %v, want a ChecksumError naming %s", err, victim)
	}

	// A package with an object missing.
	if err := store.Delete(ctx, id+"/data/H49.64.33.2019.01.VTLT/H49.64.33.2019.01.VTLT.3.pdf"); err != nil {
		t.Fatal(err)
	}
	_, err = handover.Pull(ctx, store, id, t.TempDir(), handover.PullOptions{})
	var me *handover.MissingError
	if !errors.As(err, &me) || len(me.Paths) != 1 || me.Paths[0] != "data/H49.64.33.2019.01.VTLT/H49.64.33.2019.01.VTLT.3.pdf" {
		t.Fatalf("pull of a package with a missing object: %v, want a MissingError naming it", err)
	}
}

func TestPullLocal(t *testing.T) {
	s, _ := localStore(t)
	testPull(t, s)
}

func TestPullS3(t *testing.T) {
	testPull(t, handovertest.MinIOStore(t, "handover"))
}

// TestRecord checks both forms of the record of a bag whose file table spans several pages.
func TestRecord(t *testing.T) {
	const id = "lo-2025-003"
	dir := filepath.Join(t.TempDir(), id)
	handovertest.MakeBag(t, dir, id, 140)
	v, err := handover.SealVerifier(seal.VerifyOptions{})(context.Background(), dir)
	if err != nil || v.Outcome != seal.Failed || !hasCode(v.Problems, seal.CodeUnsealed) {
		t.Fatalf("verify of an unsealed bag: %+v, %v; want Failed, unsealed", v, err)
	}
	r, err := handover.NewRecord(dir, v)
	if err != nil {
		t.Fatal(err)
	}
	r.Created = time.Date(2026, 3, 5, 2, 0, 0, 0, time.UTC)
	r.Giver = handover.Party{Organisation: "Chi cục Văn thư - Lưu trữ", Name: "Nguyễn Thị Lan", Position: "Lưu trữ viên"}
	r.Receiver = handover.Party{Name: "Trần Văn Đức", Position: "Phó Giám đốc"}
	r.Place, r.Number = "Bắc Minh", "12/BB-TTLT"

	var txt, pdf bytes.Buffer
	if err := r.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if err := r.WritePDF(&pdf); err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, pdf.Bytes())

	manifest := handovertest.Manifest(t, dir)
	var total int64
	for p := range manifest {
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		total += fi.Size()
	}
	fp, of, err := handover.Fingerprint(dir)
	if err != nil || of != bag.TagManifestFile {
		t.Fatalf("fingerprint %s of %s: %v", fp, of, err)
	}
	for form, s := range map[string]string{"txt": txt.String(), "pdf": text} {
		for _, want := range []string{
			"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "BIÊN BẢN GIAO NHẬN",
			handovertest.Organisation, "Mã lô (gói tin): " + id, "Thời gian của tài liệu: từ 05/2019 đến 17/09/2025",
			"Tổng số hồ sơ: 2", "Tổng số tệp tin: 140", "ngày 05 tháng 03 năm 2026",
			fp, "ĐẠI DIỆN BÊN GIAO", "ĐẠI DIỆN BÊN NHẬN", "Nguyễn Thị Lan", "Trần Văn Đức", "Phó Giám đốc",
			"Chi cục Văn thư - Lưu trữ",
			// The NĐ 30 form: left header with the number, place and date line,
			// who is present, the list of hồ sơ, the problems in Vietnamese.
			"Số: 12/BB-TTLT", "Bắc Minh, ngày 05 tháng 03 năm 2026", "tại Bắc Minh, chúng tôi gồm:",
			"Bên giao: Chi cục Văn thư - Lưu trữ; đại diện: Ông/Bà Nguyễn Thị Lan, chức vụ: Lưu trữ viên.",
			"Bên nhận: …………………………………; đại diện: Ông/Bà Trần Văn Đức, chức vụ: Phó Giám đốc.",
			"Danh mục hồ sơ giao nhận:", "1. H49.64.33.2019.01.VTLT – Hồ sơ chỉnh lý tài liệu (05/2019 – 12/11/2020)",
			"2. H49.64.33.2025.02.VTLT – Hồ sơ giao nộp tài liệu (25/06/2025 – 17/09/2025)",
			"Các vấn đề phát hiện khi kiểm tra:", "Người ký số niêm phong gói tin: không có",
		} {
			if !strings.Contains(s, want) {
				t.Errorf("%s record lacks %q", form, want)
			}
		}
		if !strings.Contains(strings.ReplaceAll(s, ".", ""), "Tổng dung lượng: "+strconv.FormatInt(total, 10)+" byte") {
			t.Errorf("%s record lacks the total of %d bytes", form, total)
		}
	}

	// The text form lists every file with its hash and size, exactly those of the manifest.
	rows, tagRows := textRows(t, txt.String())
	wantTags := handovertest.HashTree(t, dir)
	for p := range manifest {
		delete(wantTags, p)
	}
	if !maps.Equal(tagRows, wantTags) {
		t.Errorf("text record lists tag files %v, want %v", tagRows, wantTags)
	}
	if len(rows) != len(manifest) {
		t.Fatalf("text record lists %d files, manifest %d", len(rows), len(manifest))
	}
	for p, sum := range manifest {
		if rows[p] != sum {
			t.Errorf("text record: %s has %q, manifest %s", p, rows[p], sum)
		}
	}
	// The PDF has every file name and its hash on one line of the table.
	lines := strings.Split(text, "\n")
	all := maps.Clone(manifest)
	maps.Copy(all, wantTags)
	for p, sum := range all {
		found := false
		for _, l := range lines {
			if strings.Contains(l, p) && strings.Contains(l, sum) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("PDF record has no line with %s and %s", p, sum)
		}
	}
	// Several pages, the table header repeated on each page holding a part of the table.
	pages := strings.Split(text, "\f")
	tablePages, headers := 0, 0
	hashRow := regexp.MustCompile(`data/\S+.*[0-9a-f]{64}`) // a row of the file table, not a line of the summary
	for _, pg := range pages {
		if hashRow.MatchString(pg) {
			tablePages++
			if strings.Contains(pg, "Giá trị SHA-256") && strings.Contains(pg, "Tên tệp tin") {
				headers++
			}
		}
	}
	if tablePages < 3 || headers != tablePages {
		t.Errorf("file table on %d pages, header on %d; want 3 or more pages, each with the header", tablePages, headers)
	}
	if !strings.Contains(pages[0], "Trang 1/") {
		t.Errorf("page 1 has no page number")
	}
	checkFontEmbedded(t, pdf.Bytes())
}

// TestRecordProblems checks that a record made for a bag that did not verify says so and lists the problems.
func TestRecordProblems(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "b")
	handovertest.MakeBag(t, dir, "b", 3)
	victim := filepath.Join(dir, "data", "H49.64.33.2019.01.VTLT", "H49.64.33.2019.01.VTLT.1.pdf")
	if err := os.WriteFile(victim, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := handover.SealVerifier(seal.VerifyOptions{})(context.Background(), dir)
	if err != nil || v.OK() || !hasCode(v.Problems, seal.CodeFileAltered) {
		t.Fatalf("verify of an altered bag: %+v, %v; want problems", v, err)
	}
	r, err := handover.NewRecord(dir, v)
	if err != nil {
		t.Fatal(err)
	}
	var txt bytes.Buffer
	r.WriteText(&txt)
	if !strings.Contains(txt.String(), "Kết quả kiểm tra: Không đạt") || !strings.Contains(txt.String(), "VTLT.1.pdf: tệp tin đã bị thay đổi") {
		t.Errorf("record of an altered bag:\n%s", txt.String())
	}
}

// textRows parses the file lines of a text record: "<n>\t<sha256>\t<size>\t<path>",
// numbered 1, 2, … for payload files and T1, T2, … for tag files.
func textRows(t *testing.T, s string) (payload, tags map[string]string) {
	t.Helper()
	payload, tags = map[string]string{}, map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	n, tn := 0, 0
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 4 || f[0] == "STT" {
			continue
		}
		if len(f[1]) != 64 {
			t.Fatalf("bad file line %q", sc.Text())
		}
		if strings.HasPrefix(f[0], "T") {
			tn++
			if f[0] != "T"+strconv.Itoa(tn) {
				t.Fatalf("bad tag file line %q", sc.Text())
			}
			tags[f[3]] = f[1]
			continue
		}
		n++
		if f[0] != strconv.Itoa(n) {
			t.Fatalf("bad file line %q", sc.Text())
		}
		payload[f[3]] = f[1]
	}
	return payload, tags
}

// pdfText returns the text of a PDF by pdftotext -layout, pages separated by form feeds.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext not found: install poppler-utils (scripts/deps.sh)")
	}
	f := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(f, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// checkFontEmbedded checks with pdffonts that every font of the PDF is embedded.
func checkFontEmbedded(t *testing.T, pdf []byte) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(f, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdffonts", f).Output()
	if err != nil {
		t.Fatalf("pdffonts: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")[2:]
	if len(lines) == 0 {
		t.Fatal("pdffonts lists no font")
	}
	for _, l := range lines {
		if f := strings.Fields(l); len(f) < 7 || f[len(f)-5] != "yes" {
			t.Errorf("font not embedded: %s", l)
		}
	}
}

// hasCode reports whether probs holds a problem with the code c.
func hasCode(probs []seal.Problem, c seal.Code) bool {
	for _, p := range probs {
		if p.Code == c {
			return true
		}
	}
	return false
}
