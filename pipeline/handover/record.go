package handover

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
)

// Names of the handover record files, written next to the bag (never inside it,
// so that the bag stays valid).
const (
	RecordPDFName  = "handover-record.pdf"
	RecordTextName = "handover-record.txt"
)

// Record is the content of a handover record (biên bản giao nhận): what is
// handed over, with the check value of every file, and the two sides who sign.
type Record struct {
	Organisation   string // cơ quan, tổ chức whose records these are
	OrganisationID string // mã định danh cơ quan
	BatchID        string
	// StartDate and EndDate are the time range of the records (earliest
	// startDate and latest endDate of the hồ sơ), as written in the metadata
	// (DD/MM/YYYY, MM/YYYY or YYYY); empty when the metadata has none.
	StartDate, EndDate string
	Dossiers           int    // total number of hồ sơ
	Files              []File // every payload file (the computer files handed over), sorted by path
	TotalBytes         int64  // sum of the sizes of Files
	// TagFiles are the bag's other files (bagit.txt, bag-info.txt, the
	// manifests, metadata, the seal's signature), listed with their hashes
	// after Files but not counted in the totals; sorted by path.
	TagFiles []File

	// The seal: Fingerprint is the hex SHA-256 of FingerprintOf (a file of the
	// bag); Signer is the subject of the sealing certificate, empty when the
	// package is not signed.
	Fingerprint   string
	FingerprintOf string
	Signer        string
	// Signatures are the PDFs' digital signatures, one line per file (see
	// Verification.Signatures).
	Signatures []string
	// Problems are what verification found wrong; none for a package that verified.
	Problems []string

	Giver, Receiver Party     // bên giao, bên nhận
	Created         time.Time // when the record is drawn up
}

// File is one computer file of the package.
type File struct {
	Path   string // relative to the bag root, slash-separated (data/…)
	Size   int64
	SHA256 string // lower-case hex
}

// Party is one side of the handover. Empty fields are left blank in the
// record, to be filled in by hand.
type Party struct {
	Organisation string
	Name         string // họ và tên
	Position     string // chức vụ
}

// recordTZ is Vietnam's time zone (no daylight saving time), in which the record is dated.
var recordTZ = time.FixedZone("+07", 7*3600)

// NewRecord builds the record of the bag in dir from its bag-info.txt,
// manifest-sha256.txt and metadata/batch.json, with the seal facts and
// problems of v (nil: not verified, no seal facts). The file sizes are read
// from the files. Giver, Receiver and Created are left for the caller.
func NewRecord(dir string, v *Verification) (*Record, error) {
	info, err := bag.ReadInfo(filepath.Join(dir, "bag-info.txt"))
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", dir, err)
	}
	r := &Record{
		Organisation:   info.Get("Source-Organization"),
		OrganisationID: info.Get("Organization-Identifier"),
		BatchID:        info.Get("External-Identifier"),
	}
	f, err := os.Open(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", dir, err)
	}
	m, err := bag.ParseManifest(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("record %s: %s: %w", dir, ManifestName, err)
	}
	for p, sum := range m {
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			return nil, fmt.Errorf("record %s: %w", dir, err)
		}
		r.Files = append(r.Files, File{Path: p, Size: fi.Size(), SHA256: sum})
		r.TotalBytes += fi.Size()
	}
	sort.Slice(r.Files, func(i, j int) bool { return r.Files[i].Path < r.Files[j].Path })
	if r.TagFiles, err = tagFiles(dir); err != nil {
		return nil, fmt.Errorf("record %s: %w", dir, err)
	}

	if err := r.readMetadata(filepath.Join(dir, "metadata", "batch.json")); err != nil {
		return nil, fmt.Errorf("record %s: %w", dir, err)
	}
	if v != nil {
		r.Fingerprint, r.FingerprintOf, r.Signer = v.Fingerprint, v.FingerprintOf, v.Signer
		r.Problems = v.Problems
		r.Signatures = v.Signatures
	}
	return r, nil
}

// tagFiles lists the files of the tag manifest of the bag at dir, and the tag
// manifest and its signature, hashing those two.
func tagFiles(dir string) ([]File, error) {
	var files []File
	f, err := os.Open(filepath.Join(dir, TagManifestName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // BagIt makes the tag manifest optional; verification reports it
	}
	if err != nil {
		return nil, err
	}
	m, err := bag.ParseManifest(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", TagManifestName, err)
	}
	for p, sum := range m {
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			return nil, err
		}
		files = append(files, File{Path: p, Size: fi.Size(), SHA256: sum})
	}
	for _, name := range []string{TagManifestName, SignatureName} {
		sum, size, err := bag.HashFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		files = append(files, File{Path: name, Size: size, SHA256: sum})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// batchMetadata is the part of metadata/batch.json the record needs.
type batchMetadata struct {
	ID           string `json:"id"`
	Organisation struct {
		Name       string `json:"name"`
		Identifier string `json:"identifier"`
	} `json:"organisation"`
	Files []struct {
		FileCode  string `json:"fileCode"`
		StartDate string `json:"startDate"`
		EndDate   string `json:"endDate"`
	} `json:"files"`
}

// readMetadata fills the organisation, batch id, hồ sơ count and time range from batch.json.
func (r *Record) readMetadata(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var bm batchMetadata
	if err := json.Unmarshal(data, &bm); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if bm.Organisation.Name != "" {
		r.Organisation = bm.Organisation.Name
	}
	if bm.Organisation.Identifier != "" {
		r.OrganisationID = bm.Organisation.Identifier
	}
	if bm.ID != "" {
		r.BatchID = bm.ID
	}
	r.Dossiers = len(bm.Files)
	var first, last string // sortable forms
	for _, f := range bm.Files {
		if k, ok := sortableDate(f.StartDate, false); ok && (first == "" || k < first) {
			first, r.StartDate = k, f.StartDate
		}
		if k, ok := sortableDate(f.EndDate, true); ok && (last == "" || k > last) {
			last, r.EndDate = k, f.EndDate
		}
	}
	return nil
}

// sortableDate turns an archival date (DD/MM/YYYY, MM/YYYY or YYYY) into
// YYYYMMDD, taking the last day of a partial date when end is set.
func sortableDate(s string, end bool) (string, bool) {
	parts := strings.Split(strings.TrimSpace(s), "/")
	for _, p := range parts {
		if _, err := strconv.Atoi(p); err != nil {
			return "", false
		}
	}
	day, month := "01", "01"
	if end {
		day, month = "31", "12"
	}
	switch len(parts) {
	case 3:
		return parts[2] + parts[1] + parts[0], len(parts[2]) == 4
	case 2:
		return parts[1] + parts[0] + day, len(parts[1]) == 4
	case 1:
		return parts[0] + month + day, len(parts[0]) == 4
	}
	return "", false
}

// Record wording, shared by the text and PDF forms.
const (
	nationalTitle = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
	nationalMotto = "Độc lập - Tự do - Hạnh phúc"
	recordTitle   = "BIÊN BẢN GIAO NHẬN"
	recordSubject = "Về việc giao nhận tài liệu lưu trữ số hóa"
	tableTitle    = "DANH MỤC TỆP TIN VÀ GIÁ TRỊ KIỂM TRA (SHA-256)"
	tagTableTitle = "Các tệp quản lý gói tin (BagIt), không tính trong tổng số tệp tin nêu trên:"
	closing       = "Biên bản được lập thành 02 bản có giá trị như nhau, mỗi bên giữ 01 bản."
	blank         = "…………………………………"
)

// Column headers of the file table.
var tableHeader = [4]string{"STT", "Tên tệp tin", "Dung lượng (byte)", "Giá trị SHA-256"}

// dateLine is the record's date in the form "ngày 21 tháng 11 năm 2026".
func (r *Record) dateLine() string {
	t := r.Created.In(recordTZ)
	return fmt.Sprintf("ngày %02d tháng %02d năm %d", t.Day(), int(t.Month()), t.Year())
}

// summary returns the record's statements, one line each, before the file table.
func (r *Record) summary() []string {
	org := r.Organisation
	if r.OrganisationID != "" {
		org += " (mã định danh " + r.OrganisationID + ")"
	}
	timeRange := "không xác định"
	switch {
	case r.StartDate != "" && r.EndDate != "":
		timeRange = "từ " + r.StartDate + " đến " + r.EndDate
	case r.StartDate != "":
		timeRange = "từ " + r.StartDate
	case r.EndDate != "":
		timeRange = "đến " + r.EndDate
	}
	signer := "không có (gói tin chưa được ký số)"
	if r.Signer != "" {
		signer = r.Signer
	}
	fp := r.Fingerprint
	if fp == "" {
		fp = "không có"
	} else if r.FingerprintOf != "" {
		fp += " (SHA-256 của " + r.FingerprintOf + ")"
	}
	check := "Đạt: mọi tệp tin khớp giá trị kiểm tra SHA-256 trong gói tin."
	if len(r.Problems) > 0 {
		check = fmt.Sprintf("Không đạt: %d lỗi.", len(r.Problems))
	}
	lines := []string{
		fmt.Sprintf("Hôm nay, vào hồi %02d giờ %02d phút, %s, hai bên tiến hành giao nhận tài liệu lưu trữ số hóa như sau:",
			r.Created.In(recordTZ).Hour(), r.Created.In(recordTZ).Minute(), r.dateLine()),
		"Cơ quan, tổ chức: " + org,
		"Mã lô (gói tin): " + r.BatchID,
		"Thời gian của tài liệu: " + timeRange,
		"Tổng số hồ sơ: " + strconv.Itoa(r.Dossiers),
		"Tổng số tệp tin: " + strconv.Itoa(len(r.Files)),
		"Tổng dung lượng: " + groupDigits(r.TotalBytes) + " byte",
		"Dấu niêm phong (fingerprint): " + fp,
		"Chứng thư số của bên niêm phong: " + signer,
		"Kết quả kiểm tra: " + check,
	}
	for _, p := range r.Problems {
		lines = append(lines, "  - "+p)
	}
	if len(r.Signatures) > 0 {
		lines = append(lines, "Chữ ký số trên từng tệp PDF:")
		for _, s := range r.Signatures {
			lines = append(lines, "  - "+s)
		}
	}
	return lines
}

// partyLines returns a side's signature block.
func partyLines(title string, p Party) []string {
	or := func(s string) string {
		if s == "" {
			return blank
		}
		return s
	}
	return []string{
		title,
		"Cơ quan: " + or(p.Organisation),
		"Họ và tên: " + or(p.Name),
		"Chức vụ: " + or(p.Position),
		"Chữ ký: ",
		"",
		"Ngày: ……/……/………",
	}
}

// groupDigits writes n with dots between thousands, the Vietnamese way (10.439.697).
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// tagNumber numbers the i-th tag file: T1, T2, …
func tagNumber(i int) string { return "T" + strconv.Itoa(i+1) }

// WriteText writes the record as UTF-8 plain text: the statements, then one
// line per file "<number>\t<SHA-256>\t<size>\t<path>" (numbers 1, 2, … for the
// payload files, T1, T2, … for the tag files), then the signature blocks.
func (r *Record) WriteText(w io.Writer) error {
	var b strings.Builder
	center := func(s string) { fmt.Fprintf(&b, "%s\n", s) }
	center(nationalTitle)
	center(nationalMotto)
	b.WriteString("\n")
	center(recordTitle)
	center(recordSubject)
	b.WriteString("\n")
	for _, l := range r.summary() {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n" + tableTitle + "\n")
	fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", tableHeader[0], tableHeader[3], tableHeader[2], tableHeader[1])
	for i, f := range r.Files {
		fmt.Fprintf(&b, "%d\t%s\t%d\t%s\n", i+1, f.SHA256, f.Size, f.Path)
	}
	if len(r.TagFiles) > 0 {
		b.WriteString("\n" + tagTableTitle + "\n")
		for i, f := range r.TagFiles {
			fmt.Fprintf(&b, "%s\t%s\t%d\t%s\n", tagNumber(i), f.SHA256, f.Size, f.Path)
		}
	}
	b.WriteString("\n" + closing + "\n\n")
	for _, side := range []struct {
		title string
		p     Party
	}{{"ĐẠI DIỆN BÊN GIAO", r.Giver}, {"ĐẠI DIỆN BÊN NHẬN", r.Receiver}} {
		for _, l := range partyLines(side.title, side.p) {
			b.WriteString(l + "\n")
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
