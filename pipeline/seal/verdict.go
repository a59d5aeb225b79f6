package seal

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
)

// Code names exactly what a Problem is, for programs (the dashboard, tests,
// later checks); people read its messages.
type Code string

// Problem codes. Checks added later (for example of the signatures inside
// each PDF) add their own codes next to these.
const (
	CodeBagStructure   Code = "bag-structure"   // bagit.txt, a manifest or bag-info.txt missing or malformed
	CodeFileMissing    Code = "file-missing"    // a file listed in a manifest is not there
	CodeFileAltered    Code = "file-altered"    // a file's SHA-256 differs from the manifest
	CodeFileAdded      Code = "file-added"      // a file that no manifest lists
	CodeFileUnreadable Code = "file-unreadable" // a file cannot be read
	CodePayloadOxum    Code = "payload-oxum"    // Payload-Oxum does not match the payload
	CodeMETS           Code = "mets-mismatch"   // METS.xml and the files disagree
	CodeUnsealed       Code = "unsealed"        // no signature: the package is not sealed
	CodeSignature      Code = "signature-invalid"
	// CodeSignatureNotChecked: no CA certificate was given, so whose key
	// signed cannot be told. It alone makes the verdict NotChecked.
	CodeSignatureNotChecked Code = "signature-not-checked"
	CodeSignerUntrusted     Code = "signer-untrusted"
	CodeChain               Code = "chain-broken"
	CodeIncomplete          Code = "batch-incomplete" // Sohoa-Batch-Status is not "complete"
	CodeDocumentMissing     Code = "document-missing" // a document of the batch is not in the package

	// CodeSignerUnbound: no trust was given, so whether the signer is the
	// organisation's own cannot be told. Like CodeSignatureNotChecked it
	// makes the verdict NotChecked, never a pass.
	CodeSignerUnbound Code = "signer-unbound"
	// CodeSignerNotOrganisation: the signer is not the organisation's by
	// the trust (not pinned, subject rule not kept, organisation not trusted).
	CodeSignerNotOrganisation Code = "signer-not-organisation"
	CodeSignerIsCA            Code = "signer-is-ca"        // the signer's certificate is a CA's
	CodeSignerKeyUsage        Code = "signer-key-usage"    // no digitalSignature/nonRepudiation, or an extended key usage that is not for signing documents
	CodeCertificateExpired    Code = "certificate-expired" // the certificate is not valid at the trusted time
	CodeSigningTime           Code = "signing-time"        // no signing time, in the future, or back-dated
)

// notChecked reports whether code only says that something could not be
// checked for lack of trust material (no CA, no trust).
func notChecked(code Code) bool {
	return code == CodeSignatureNotChecked || code == CodeSignerUnbound
}

// CheckCompleteness is the Problem.Check of the completeness checks.
const CheckCompleteness = "completeness"

// Outcome is the verdict on a package.
type Outcome int

// Outcomes, from best to worst.
const (
	// Passed (Đạt): every document is there, unchanged, and sealed by a
	// signer the given CA trusts.
	Passed Outcome = iota
	// NotChecked: nothing wrong was found, but no CA certificate was given,
	// so the signature could not be checked. Not a pass.
	NotChecked
	// Failed (Không đạt): at least one problem.
	Failed
)

// Vietnamese returns the outcome as the handover record writes it.
func (o Outcome) Vietnamese() string {
	switch o {
	case Passed:
		return "Đạt"
	case NotChecked:
		return "Chưa kết luận"
	}
	return "Không đạt"
}

// English returns the outcome as sohoa verify prints it.
func (o Outcome) English() string {
	switch o {
	case Passed:
		return "verified"
	case NotChecked:
		return "NOT verified: signature not checked"
	}
	return "NOT verified"
}

// Message returns the problem for people: in Vietnamese when vi is set
// ("PATH: message"), else in English (as String).
func (p Problem) Message(vi bool) string {
	if !vi || p.Vi == "" {
		return p.String()
	}
	if p.Path != "" {
		return p.Path + ": " + p.Vi
	}
	return p.Vi
}

// Add appends a problem to the report. Checks outside this package (passed
// in VerifyOptions.Checks) use it.
func (r *Report) Add(p Problem) { r.Problems = append(r.Problems, p) }

// Outcome is the verdict: Passed when no problem was found, NotChecked
// when the only problems are that no CA certificate or no trust was given,
// else Failed.
// sohoa verify, handover pull and handover record all decide by it.
func (r *Report) Outcome() Outcome {
	o := Passed
	for _, p := range r.Problems {
		if !notChecked(p.Code) {
			return Failed
		}
		o = NotChecked
	}
	return o
}

// A Checker is a further check of the package at dir; it adds what it finds
// to r with r.Add. It returns an error only when it cannot check at all,
// which fails verification (a check that cannot be completed is never a pass).
type Checker func(ctx context.Context, dir string, r *Report) error

// packageRecord is the part of metadata/batch.json the completeness check reads.
type packageRecord struct {
	Files []struct {
		FileCode  string `json:"fileCode"`
		Documents []struct {
			DocCode    string `json:"docCode"`
			DocOrdinal int    `json:"docOrdinal"`
			Source     string `json:"source"`
			Status     string `json:"status"`
			Error      string `json:"error"`
		} `json:"documents"`
	} `json:"files"`
}

// checkComplete reports a package that does not say it holds the whole
// batch (Sohoa-Batch-Status), and every document its batch.json records as
// not done, by its mã and the reason.
func (r *Report) checkComplete(dir, status string) {
	if status != "complete" {
		shown := status
		if shown == "" {
			shown = "(none)"
		}
		r.Add(Problem{Check: CheckCompleteness, Code: CodeIncomplete, Path: bag.InfoFile,
			What: fmt.Sprintf("Sohoa-Batch-Status is %s, not complete: documents of the batch are missing", shown),
			Vi:   fmt.Sprintf("gói tin không đầy đủ (Sohoa-Batch-Status: %s): thiếu văn bản của lô", shown)})
	}
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(bag.BatchRecordFile)))
	if err != nil {
		return // the bag check reports a missing or unreadable tag file
	}
	var rec packageRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		r.Add(Problem{Check: CheckCompleteness, Code: CodeBagStructure, Path: bag.BatchRecordFile,
			What: fmt.Sprintf("not readable JSON, so the documents cannot be counted: %v", err),
			Vi:   fmt.Sprintf("không đọc được (JSON lỗi), không kiểm đếm được văn bản: %v", err)})
		return
	}
	for _, f := range rec.Files {
		for _, d := range f.Documents {
			if d.Status == "" || d.Status == "done" {
				continue
			}
			code := d.DocCode
			if code == "" {
				code = fmt.Sprintf("%s.%d", f.FileCode, d.DocOrdinal)
			}
			reason := d.Error
			if reason == "" {
				reason = d.Status
			}
			r.Add(Problem{Check: CheckCompleteness, Code: CodeDocumentMissing,
				What: fmt.Sprintf("document %s (hồ sơ %s, %s) is not in the package: %s", code, f.FileCode, d.Source, reason),
				Vi:   fmt.Sprintf("thiếu văn bản %s (hồ sơ %s, %s), lý do: %s", code, f.FileCode, d.Source, reason)})
		}
	}
}

// bagProblem turns a problem of the BagIt check into a verification problem.
func bagProblem(kind, path, what string) Problem {
	p := Problem{Check: CheckFile, Path: path, What: what}
	switch kind {
	case "missing":
		p.Code, p.Vi = CodeFileMissing, "thiếu tệp tin (có trong danh mục manifest nhưng không có trong gói)"
	case "altered":
		p.Code, p.Vi = CodeFileAltered, "tệp tin đã bị thay đổi (giá trị SHA-256 không khớp danh mục manifest)"
	case "unlisted":
		p.Code, p.Vi = CodeFileAdded, "tệp tin thừa, không có trong "+bag.ManifestFile
	case "unreadable":
		p.Code, p.Vi = CodeFileUnreadable, "không đọc được tệp tin: "+what
	case "oxum":
		p.Check, p.Code, p.Vi = CheckBag, CodePayloadOxum, "Payload-Oxum không khớp với dữ liệu (có tệp tin bị thêm hoặc bớt): "+what
	default:
		p.Check, p.Code, p.Vi = CheckBag, CodeBagStructure, "cấu trúc gói BagIt không hợp lệ: "+what
	}
	if strings.HasPrefix(what, "line ") {
		p.Check = CheckBag
	}
	return p
}
