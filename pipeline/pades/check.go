package pades

import (
	"context"
	"fmt"

	"github.com/sohoa-vn/sohoa/pipeline/seal"
)

// CodePDFSignature is the seal.Code of every problem of a PDF's signature.
const CodePDFSignature seal.Code = "pdf-signature"

// CheckPDFSignatures is the seal.Problem.Check of the PDF signature checks.
const CheckPDFSignatures = "pdf-signature"

// DirCheck checks the signature of every PDF of a package as part of the
// package's one verdict (seal.Verify): add its Check to
// seal.VerifyOptions.Checks. After verification Results holds, per file,
// what was found, for the summary line and the handover record.
type DirCheck struct {
	Options VerifyOptions
	Results []*Result
}

// Check is a seal.Checker. Every problem of a file's signature becomes a
// problem of the package, naming the file, with the code of the rule that
// failed (CodePDFSignature, or the seal package's signer and signing-time
// codes). The signer must be the organisation's that the package names
// (its Organization-Identifier, by Options.Trust). Without CA certificates
// or without trust the signer cannot be trusted: that is left to the
// package's own "not checked" problem, so the verdict is "not checked",
// never a pass; every other check (byte range, digest, timestamp, signer
// profile, signing time) still counts.
func (c *DirCheck) Check(ctx context.Context, dir string, r *seal.Report) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	opts := c.Options
	opts.OrgID = r.OrgID
	res, err := VerifyDir(dir, opts)
	if err != nil {
		return err
	}
	c.Results = res
	for _, fr := range res {
		for _, p := range fr.Problems {
			if c.Options.Roots == nil && p.Check == CheckCertificate {
				continue
			}
			code := CodePDFSignature
			if p.Code != "" {
				code = p.Code
			}
			r.Add(seal.Problem{Check: CheckPDFSignatures, Code: code, Path: p.File,
				What: p.Check + ": " + p.Detail,
				Vi:   fmt.Sprintf("chữ ký số của tệp PDF không hợp lệ (%s): %s", p.Check, p.Detail)})
		}
	}
	return nil
}

// Lines describes each file's signature in one line for the handover
// record: the file, the signer and the signing time (and timestamp).
func Lines(results []*Result) []string {
	var out []string
	for _, r := range results {
		if r.Signer == nil {
			out = append(out, r.File+": không có chữ ký số hợp lệ")
			continue
		}
		line := fmt.Sprintf("%s: ký bởi %s, thời gian ký %s", r.File, r.SignerName(), r.SigningTime.In(Vietnam).Format("2006-01-02T15:04:05-07:00"))
		if !r.Timestamp.IsZero() {
			line += ", dấu thời gian " + r.Timestamp.In(Vietnam).Format("2006-01-02T15:04:05-07:00")
		}
		if !r.OK() {
			line += " (không hợp lệ)"
		}
		out = append(out, line)
	}
	return out
}
