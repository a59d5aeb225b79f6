package pipeline

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sohoa-vn/sohoa/pipeline/tt05"
)

// Organisation is the agency whose records a batch holds.
type Organisation struct {
	Name       string `json:"name"`
	Identifier string `json:"identifier"` // mã định danh cơ quan
}

// FileMeta is the metadata of a hồ sơ (file / dossier), with the tags of
// Thông tư 05/2025/TT-BNV as JSON and XML names.
type FileMeta struct {
	FileCode           string `json:"fileCode" xml:"fileCode,omitempty"`
	Title              string `json:"title,omitempty" xml:"title,omitempty"`
	Maintenance        string `json:"maintenance,omitempty" xml:"maintenance,omitempty"`
	Mode               string `json:"mode,omitempty" xml:"mode,omitempty"`
	Language           string `json:"language,omitempty" xml:"language,omitempty"`
	StartDate          string `json:"startDate,omitempty" xml:"startDate,omitempty"`
	EndDate            string `json:"endDate,omitempty" xml:"endDate,omitempty"`
	Keyword            string `json:"keyword,omitempty" xml:"keyword,omitempty"`
	TotalDoc           *int   `json:"totalDoc,omitempty" xml:"totalDoc,omitempty"`
	NumberOfPaper      *int   `json:"numberOfPaper,omitempty" xml:"numberOfPaper,omitempty"`
	NumberOfPage       *int   `json:"numberOfPage,omitempty" xml:"numberOfPage,omitempty"`
	Format             string `json:"format,omitempty" xml:"format,omitempty"`
	InforSign          string `json:"inforSign,omitempty" xml:"inforSign,omitempty"`
	ConfidenceLevel    string `json:"confidenceLevel,omitempty" xml:"confidenceLevel,omitempty"`
	PaperFileCode      string `json:"paperFileCode,omitempty" xml:"paperFileCode,omitempty"`
	RiskRecovery       *int   `json:"riskRecovery,omitempty" xml:"riskRecovery,omitempty"`
	RiskRecoveryStatus string `json:"riskRecoveryStatus,omitempty" xml:"riskRecoveryStatus,omitempty"`
	Description        string `json:"description,omitempty" xml:"description,omitempty"`
	// Stack marks a hồ sơ scanned as one stack: its loose page files, in order, are
	// split into documents at the first pages found (or those of FirstPages).
	Stack bool `json:"stack,omitempty" xml:"-"`
	// FirstPages overrides the split of a stack: the 1-based page of the stack where
	// each document starts (1, 3, 4).
	FirstPages []int `json:"firstPages,omitempty" xml:"-"`
}

// DocMeta is the metadata of a document (văn bản) inside a hồ sơ.
type DocMeta struct {
	DocCode         string `json:"docCode,omitempty" xml:"docCode,omitempty"`
	DocOrdinal      int    `json:"docOrdinal" xml:"docOrdinal,omitempty"`
	TypeName        string `json:"typeName,omitempty" xml:"typeName,omitempty"`
	CodeNumber      string `json:"codeNumber,omitempty" xml:"codeNumber,omitempty"`
	CodeNotation    string `json:"codeNotation,omitempty" xml:"codeNotation,omitempty"`
	IssuedDate      string `json:"issuedDate,omitempty" xml:"issuedDate,omitempty"`
	OrganName       string `json:"organName,omitempty" xml:"organName,omitempty"`
	Subject         string `json:"subject,omitempty" xml:"subject,omitempty"`
	Language        string `json:"language,omitempty" xml:"language,omitempty"`
	NumberOfPage    *int   `json:"numberOfPage,omitempty" xml:"numberOfPage,omitempty"`
	Mode            string `json:"mode,omitempty" xml:"mode,omitempty"`
	ConfidenceLevel string `json:"confidenceLevel,omitempty" xml:"confidenceLevel,omitempty"`
	Format          string `json:"format,omitempty" xml:"format,omitempty"`
	Keyword         string `json:"keyword,omitempty" xml:"keyword,omitempty"`
	InforSign       string `json:"inforSign,omitempty" xml:"inforSign,omitempty"`
	Description     string `json:"description,omitempty" xml:"description,omitempty"`
	Autograph       string `json:"autograph,omitempty" xml:"autograph,omitempty"`
	Signer          string `json:"signer,omitempty" xml:"signer,omitempty"`
}

// Code lists of TT 05/2025 (see vn-archives.md), shared with the catalogue and the field reader.
var (
	maintenanceCodes = codeList(tt05.Maintenance)
	modeCodes        = codeList(tt05.Mode)
	languageCodes    = codeList(tt05.Language)
	formatCodes      = codeList(tt05.Format)
	confidenceCodes  = codeList(tt05.ConfidenceLevel)
	riskStatusCodes  = codeList(tt05.RiskStatus)
)

// ModeSecret is the access mode code of secret documents (MẬT, TỐI MẬT, TUYỆT MẬT).
const ModeSecret = "03"

// ConfidenceDigitized is the confidenceLevel code of digitized paper.
const ConfidenceDigitized = "02"

type codeList map[string]string

func (c codeList) allowed() string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys) // two-digit codes: string order is numeric order
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + c[k]
	}
	return strings.Join(parts, ", ")
}

var (
	// fileCodePattern: agency identifier (digits, A–Z, '.'), a 4-digit year, then the file's number and notation.
	fileCodePattern     = regexp.MustCompile(`^([0-9A-Z][0-9A-Z.]{0,34})\.((?:19|20)[0-9]{2})\.([^\s/\\]+)$`)
	codeNumberPattern   = regexp.MustCompile(`^(0[1-9]|[1-9][0-9]+)$`)
	notationGroup       = regexp.MustCompile(`^[\p{Lu}0-9][\p{L}0-9]*$`)
	docCodeSuffix       = regexp.MustCompile(`[0-9]{7}$`)
	paperFileCodeFormat = regexp.MustCompile(`^[^\s.]+(\.[^\s.]+){2,}$`)
)

// problems collects validation problems for one place in a batch.
type problems struct {
	list  *[]Problem
	where string // file (batch.json or a folder) the problems are in
	path  string // JSON path prefix, e.g. files[0]
}

func (p problems) add(field, value, what string) {
	*p.list = append(*p.list, Problem{File: p.where, Field: p.path + field, Value: value, What: what})
}

func (p problems) maxLen(field, v string, n int) {
	if utf8.RuneCountInString(v) > n {
		p.add(field, abbreviate(v), fmt.Sprintf("longer than %d characters", n))
	}
}

func (p problems) code(field, v string, c codeList) {
	if v != "" && c[v] == "" {
		p.add(field, v, "not an allowed code; allowed: "+c.allowed())
	}
}

func (p problems) date(field, v string, fullOnly bool) {
	if v == "" {
		return
	}
	if _, err := parseArchiveDate(v, fullOnly); err != nil {
		p.add(field, v, err.Error())
	}
}

func (p problems) nonNegative(field string, v *int) {
	if v != nil && *v < 0 {
		p.add(field, strconv.Itoa(*v), "must not be negative")
	}
}

func abbreviate(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:40]) + "…"
}

// parseArchiveDate parses DD/MM/YYYY, or (unless fullOnly) MM/YYYY or YYYY,
// returning the first day the date stands for.
func parseArchiveDate(v string, fullOnly bool) (time.Time, error) {
	layouts := []string{"02/01/2006"}
	allowed := "DD/MM/YYYY"
	if !fullOnly {
		layouts = append(layouts, "01/2006", "2006")
		allowed = "DD/MM/YYYY, MM/YYYY or YYYY"
	}
	for _, l := range layouts {
		if len(v) == len(l) {
			if t, err := time.Parse(l, v); err == nil {
				return t, nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("not a valid date; expected %s", allowed)
}

// ValidateFileCode reports why code is not a valid mã hồ sơ, or nil.
func ValidateFileCode(code string) error {
	if code == "" {
		return fmt.Errorf("empty")
	}
	if utf8.RuneCountInString(code) > 100 {
		return fmt.Errorf("longer than 100 characters")
	}
	if !fileCodePattern.MatchString(code) {
		return fmt.Errorf("expected <agency identifier: digits, A–Z, '.' (≤35)>.<year: 4 digits>.<file number and notation>, e.g. H49.64.33.2019.01.VTLT")
	}
	return nil
}

func (p problems) validateFile(m *FileMeta, declared bool) {
	if err := ValidateFileCode(m.FileCode); err != nil {
		p.add("fileCode", m.FileCode, err.Error())
	}
	p.maxLen("title", m.Title, 1000)
	p.code("maintenance", m.Maintenance, maintenanceCodes)
	p.code("mode", m.Mode, modeCodes)
	p.code("language", m.Language, languageCodes)
	p.date("startDate", m.StartDate, false)
	p.date("endDate", m.EndDate, false)
	if s, err1 := parseArchiveDate(m.StartDate, false); err1 == nil {
		if e, err2 := parseArchiveDate(m.EndDate, false); err2 == nil && e.Before(s) {
			p.add("endDate", m.EndDate, "is before startDate "+m.StartDate)
		}
	}
	p.maxLen("keyword", m.Keyword, 100)
	p.nonNegative("totalDoc", m.TotalDoc)
	p.nonNegative("numberOfPaper", m.NumberOfPaper)
	p.nonNegative("numberOfPage", m.NumberOfPage)
	p.code("format", m.Format, formatCodes)
	p.maxLen("inforSign", m.InforSign, 30)
	p.code("confidenceLevel", m.ConfidenceLevel, confidenceCodes)
	p.maxLen("paperFileCode", m.PaperFileCode, 100)
	if m.PaperFileCode != "" && !paperFileCodeFormat.MatchString(m.PaperFileCode) {
		p.add("paperFileCode", m.PaperFileCode, "expected [archive code].[store/shelf/box].[paper file number]")
	}
	if declared && m.PaperFileCode == "" && (m.ConfidenceLevel == "" || m.ConfidenceLevel == ConfidenceDigitized) {
		p.add("paperFileCode", "", "required for a digitized hồ sơ (confidenceLevel 02)")
	}
	if m.RiskRecovery != nil && *m.RiskRecovery != 0 && *m.RiskRecovery != 1 {
		p.add("riskRecovery", strconv.Itoa(*m.RiskRecovery), "must be 1 or 0")
	}
	p.code("riskRecoveryStatus", m.RiskRecoveryStatus, riskStatusCodes)
	if m.RiskRecovery != nil && *m.RiskRecovery == 1 && m.RiskRecoveryStatus == "" {
		p.add("riskRecoveryStatus", "", "required when riskRecovery is 1 (01 Đã dự phòng, 02 Chưa dự phòng)")
	}
	p.maxLen("description", m.Description, 2000)
	if len(m.FirstPages) > 0 && !m.Stack {
		p.add("firstPages", fmt.Sprint(m.FirstPages), "only for a hồ sơ scanned as a stack (stack: true)")
	}
	for i, n := range m.FirstPages {
		if (i == 0 && n != 1) || (i > 0 && n <= m.FirstPages[i-1]) {
			p.add("firstPages", fmt.Sprint(m.FirstPages), "must start with 1 and increase (e.g. 1, 3, 4)")
			break
		}
	}
}

func (p problems) validateDoc(fileCode string, m *DocMeta) {
	if m.DocOrdinal < 1 {
		p.add("docOrdinal", strconv.Itoa(m.DocOrdinal), "must be 1 or more")
	}
	if m.DocCode != "" && (!strings.HasPrefix(m.DocCode, fileCode) || !docCodeSuffix.MatchString(m.DocCode)) {
		p.add("docCode", m.DocCode, "must be the fileCode "+fileCode+" followed by a 7-digit sequence number")
	}
	p.maxLen("typeName", m.TypeName, 100)
	if _, ok := tt05.TypeCode(m.TypeName); m.TypeName != "" && !ok {
		p.add("typeName", m.TypeName, "not a document type of TT 05/2025 (a code 01–32 or its name); allowed: "+tt05.TypeName.Allowed())
	}
	if m.CodeNumber != "" && !codeNumberPattern.MatchString(m.CodeNumber) {
		p.add("codeNumber", m.CodeNumber, "must be digits, with a leading zero below 10 (e.g. 05, 145)")
	}
	if m.CodeNotation != "" {
		for _, g := range strings.Split(m.CodeNotation, "-") {
			if !notationGroup.MatchString(g) {
				p.add("codeNotation", m.CodeNotation, "must be groups of letters and digits, each starting with a capital or digit, joined by '-' (e.g. QĐ-UBND)")
				break
			}
		}
	}
	p.date("issuedDate", m.IssuedDate, true)
	p.maxLen("organName", m.OrganName, 500)
	p.maxLen("subject", m.Subject, 500)
	p.code("language", m.Language, languageCodes)
	p.nonNegative("numberOfPage", m.NumberOfPage)
	p.code("mode", m.Mode, modeCodes)
	p.code("confidenceLevel", m.ConfidenceLevel, confidenceCodes)
	p.code("format", m.Format, formatCodes)
	p.maxLen("keyword", m.Keyword, 100)
	p.maxLen("inforSign", m.InforSign, 30)
	p.maxLen("description", m.Description, 2000)
}
