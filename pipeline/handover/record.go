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
	"github.com/sohoa-vn/sohoa/pipeline/seal"
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
	// Verified is false for a record drawn up without verification: its
	// verdict is then never "Đạt".
	Verified bool
	// Outcome is the verdict of verification; Problems what it found wrong
	// (none for a package that passed). SignatureChecked says whether the
	// signature was checked against the organisation's CA certificate.
	Outcome          seal.Outcome
	Problems         []seal.Problem
	SignatureChecked bool
	// Signatures are the PDFs' digital signatures, one line per file (see
	// Verification.Signatures).
	Signatures []string

	// Packages are the AIP_hoso handed over with the batch, one row each.
	Packages []Package

	Giver, Receiver Party     // bên giao, bên nhận
	Created         time.Time // when the record is drawn up
	// Place is where it is drawn up (địa danh, e.g. "Bắc Minh"); Number its
	// number and symbol after "Số: " (e.g. "12/BB-SNV"). Empty ones are left
	// as dots, to be filled in by hand.
	Place, Number string
	// Dossiers lists the hồ sơ handed over, from metadata/batch.json.
	DossierList []Dossier
}

// Dossier is one hồ sơ of the record's list.
type Dossier struct {
	Code, Title, StartDate, EndDate string
}

// File is one computer file of the package.
type File struct {
	Path    string // relative to the bag root, slash-separated (data/…)
	Size    int64
	SHA256  string // lower-case hex, as the manifest gives it
	Missing bool   // listed in the manifest but not in the bag (Size is then 0)
}

// missingMark follows, in the record's file table, the name of a file that
// the manifest lists but the bag lacks.
const missingMark = " (THIẾU: không có trong gói tin)"

// shown is the file's name as the record's table shows it.
func (f File) shown() string {
	if f.Missing {
		return f.Path + missingMark
	}
	return f.Path
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
//
// A damaged bag still gets its record: a file listed in a manifest but
// missing is listed as missing, and a description (bag-info.txt,
// batch.json) that cannot be read leaves its facts blank; verification
// names what is wrong. The error is only for a folder that cannot be read.
func NewRecord(dir string, v *Verification) (*Record, error) {
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("record %s: not a folder", dir)
	}
	r := &Record{Outcome: seal.Failed}
	if info, err := bag.ReadInfo(filepath.Join(dir, bag.InfoFile)); err == nil {
		r.Organisation = info.Get("Source-Organization")
		r.OrganisationID = info.Get("Organization-Identifier")
		r.BatchID = info.Get("External-Identifier")
	}
	m, _ := bag.ReadManifest(filepath.Join(dir, bag.ManifestFile)) // a bad manifest is verification's to report
	r.Files = listFiles(dir, m)
	for _, f := range r.Files {
		r.TotalBytes += f.Size
	}
	var err error
	if r.TagFiles, err = tagFiles(dir); err != nil {
		return nil, fmt.Errorf("record %s: %w", dir, err)
	}
	_ = r.readMetadata(filepath.Join(dir, filepath.FromSlash(bag.BatchRecordFile))) // likewise
	if v != nil {
		r.Fingerprint, r.FingerprintOf, r.Signer = v.Fingerprint, v.FingerprintOf, v.Signer
		r.Verified, r.Outcome, r.Problems, r.SignatureChecked = true, v.Outcome, v.Problems, v.SignatureChecked
		r.Signatures = v.Signatures
	}
	return r, nil
}

// listFiles lists the files of manifest m with their sizes on disk, sorted
// by path; a file that is not there is marked Missing.
func listFiles(dir string, m map[string]string) []File {
	var files []File
	for p, sum := range m {
		f := File{Path: p, SHA256: sum}
		if fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p))); err == nil {
			f.Size = fi.Size()
		} else {
			f.Missing = true
		}
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files
}

// tagFiles lists the files of the tag manifest of the bag at dir, and the tag
// manifest and its signature, hashing those two.
func tagFiles(dir string) ([]File, error) {
	// A missing or malformed tag manifest is verification's to report.
	m, _ := bag.ReadManifest(filepath.Join(dir, bag.TagManifestFile))
	files := listFiles(dir, m)
	for _, name := range []string{bag.TagManifestFile, bag.SignatureFile} {
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
		Title     string `json:"title"`
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
		r.DossierList = append(r.DossierList, Dossier{Code: f.FileCode, Title: f.Title, StartDate: f.StartDate, EndDate: f.EndDate})
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

// numberLine is the record's number line, "Số: …/BB-…" until one is given.
func (r *Record) numberLine() string {
	if r.Number == "" {
		return "Số: ……/BB-……"
	}
	return "Số: " + r.Number
}

// placeDateLine is the place and date line under the national title,
// "Bắc Minh, ngày 21 tháng 11 năm 2026".
func (r *Record) placeDateLine() string {
	place := r.Place
	if place == "" {
		place = "……………"
	}
	return place + ", " + r.dateLine()
}

// organisationHeader is the name of the organisation in the left header, in capitals.
func (r *Record) organisationHeader() string {
	if r.Organisation == "" {
		return blank
	}
	return strings.ToUpper(r.Organisation)
}

// partyLine introduces one side of the handover: "Bên giao: …; đại diện: Ông/Bà …, chức vụ: …".
func partyLine(title string, p Party) string {
	or := func(s string) string {
		if s == "" {
			return blank
		}
		return s
	}
	return fmt.Sprintf("%s: %s; đại diện: Ông/Bà %s, chức vụ: %s.", title, or(p.Organisation), or(p.Name), or(p.Position))
}

// signerName shows the sealing certificate's subject (an RFC 2253
// distinguished name) by its holder's name and organisation, as people read
// them: "Nguyễn Văn A (Sở Nội vụ tỉnh Bắc Minh)".
func signerName(dn string) string {
	attrs := map[string]string{}
	var cur strings.Builder
	flush := func() {
		if k, v, ok := strings.Cut(cur.String(), "="); ok {
			if _, seen := attrs[strings.TrimSpace(k)]; !seen {
				attrs[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
		cur.Reset()
	}
	for i := 0; i < len(dn); i++ {
		switch c := dn[i]; {
		case c == '\\' && i+1 < len(dn):
			i++
			cur.WriteByte(dn[i])
		case c == ',' || c == '+':
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	name, org := attrs["CN"], attrs["O"]
	switch {
	case name != "" && org != "" && name != org:
		return name + " (" + org + ")"
	case name != "":
		return name
	case org != "":
		return org
	}
	return dn
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
		signer = signerName(r.Signer)
	}
	fp := r.Fingerprint
	if fp == "" {
		fp = "không có"
	} else if r.FingerprintOf != "" {
		fp += " (SHA-256 của " + r.FingerprintOf + ")"
	}
	check := r.verdictLine()
	sig := "đã kiểm tra với chứng thư số CA của tổ chức."
	if !r.SignatureChecked {
		sig = "CHƯA ĐƯỢC KIỂM TRA (không có chứng thư số CA của tổ chức, --ca)."
	}
	for _, p := range r.Problems {
		if p.Code == seal.CodeSignerUnbound {
			sig = "đã kiểm tra với chứng thư số CA, nhưng NGƯỜI KÝ CHƯA ĐƯỢC ĐỐI CHIẾU với tổ chức (không có cấu hình tin cậy, --trust)."
		}
	}
	place := r.Place
	if place == "" {
		place = blank
	}
	t := r.Created.In(recordTZ)
	lines := []string{
		fmt.Sprintf("Hôm nay, vào hồi %02d giờ %02d phút, %s, tại %s, chúng tôi gồm:", t.Hour(), t.Minute(), r.dateLine(), place),
		partyLine("Bên giao", r.Giver),
		partyLine("Bên nhận", r.Receiver),
		"Hai bên tiến hành giao nhận tài liệu lưu trữ số hóa như sau:",
		"Cơ quan, tổ chức: " + org,
		"Mã lô (gói tin): " + r.BatchID,
		"Thời gian của tài liệu: " + timeRange,
		"Tổng số hồ sơ: " + strconv.Itoa(r.Dossiers),
	}
	if len(r.DossierList) > 0 {
		lines = append(lines, "Danh mục hồ sơ giao nhận:")
		for i, d := range r.DossierList {
			l := fmt.Sprintf("  %d. %s", i+1, d.Code)
			if d.Title != "" {
				l += " – " + d.Title
			}
			if d.StartDate != "" || d.EndDate != "" {
				l += " (" + strings.Trim(d.StartDate+" – "+d.EndDate, " –") + ")"
			}
			lines = append(lines, l)
		}
	}
	lines = append(lines,
		"Tổng số tệp tin: "+strconv.Itoa(len(r.Files)),
		"Tổng dung lượng: "+groupDigits(r.TotalBytes)+" byte",
		"Dấu niêm phong (fingerprint): "+fp,
		"Người ký số niêm phong gói tin: "+signer,
		"Chữ ký số của gói tin: "+sig,
		"Kết quả kiểm tra: "+check,
	)
	if len(r.Problems) > 0 {
		lines = append(lines, "Các vấn đề phát hiện khi kiểm tra:")
	}
	for _, p := range r.Problems {
		lines = append(lines, "  - "+p.Message(true))
	}
	if len(r.Signatures) > 0 {
		lines = append(lines, "Chữ ký số trên từng tệp PDF:")
		for _, s := range r.Signatures {
			lines = append(lines, "  - "+s)
		}
	}
	return append(lines, packageLines(r.Packages)...)
}

// verdictLine says the verdict in one sentence. An AIP_hoso handed over
// with problems makes the whole handover "Không đạt", whatever the bag's.
func (r *Record) verdictLine() string {
	aipProblems := 0
	for _, p := range r.Packages {
		aipProblems += len(p.Problems)
	}
	switch {
	case !r.Verified:
		return "Không đạt: gói tin chưa được kiểm tra."
	case aipProblems > 0:
		return fmt.Sprintf("Không đạt: %d lỗi trong gói tin, %d vấn đề trong các gói AIP_hoso.", len(r.Problems), aipProblems)
	case r.Outcome == seal.Passed:
		return "Đạt: gói tin đầy đủ, mọi tệp tin khớp giá trị kiểm tra SHA-256, chữ ký số hợp lệ."
	case r.Outcome == seal.NotChecked:
		return "Chưa kết luận: không phát hiện lỗi, nhưng chữ ký số chưa được kiểm tra."
	}
	return fmt.Sprintf("Không đạt: %d lỗi.", len(r.Problems))
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
	center(r.organisationHeader())
	center(r.numberLine())
	center(nationalTitle)
	center(nationalMotto)
	center(r.placeDateLine())
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
		fmt.Fprintf(&b, "%d\t%s\t%d\t%s\n", i+1, f.SHA256, f.Size, f.shown())
	}
	if len(r.TagFiles) > 0 {
		b.WriteString("\n" + tagTableTitle + "\n")
		for i, f := range r.TagFiles {
			fmt.Fprintf(&b, "%s\t%s\t%d\t%s\n", tagNumber(i), f.SHA256, f.Size, f.shown())
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
