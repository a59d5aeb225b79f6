package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline/aip"
	"github.com/sohoa-vn/sohoa/pipeline/handover"
	"github.com/sohoa-vn/sohoa/pipeline/pades"
	"github.com/sohoa-vn/sohoa/storage"
)

// aipOptions are the AIP_hoso settings of cfg.
func aipOptions(cfg *configs.Config) aip.Options {
	return aip.Options{Kind: aip.AIP, Fonds: cfg.Packages.Fonds, ArchiveCode: cfg.Packages.ArchiveCode}
}

// writeAIPs writes the AIP_hoso of every complete hồ sơ of the bag at bagDir
// into dir and prints a line per hồ sơ. It reports false when a complete hồ
// sơ got no package (its metadata does not fit one, or it could not be
// written); a hồ sơ with a failed document never gets one.
func writeAIPs(ctx context.Context, stdout, stderr io.Writer, cfg *configs.Config, bagDir, dir string) bool {
	rs, err := aip.WriteAll(ctx, os.DirFS(bagDir), dir, aipOptions(cfg))
	if err != nil {
		fmt.Fprintln(stderr, "sohoa: AIP_hoso:", err)
		return false
	}
	ok := true
	for _, r := range rs {
		switch {
		case r.Package != nil:
			fmt.Fprintf(stdout, "  AIP_hoso   %s: %s (%d văn bản, %d trang)\n", r.HoSo, r.Package.Name, r.Package.Documents, r.Package.Pages)
		case errors.Is(r.Err, aip.ErrIncomplete):
			fmt.Fprintf(stdout, "  AIP_hoso   %s: none, the hồ sơ is incomplete\n", r.HoSo)
		default:
			ok = false
			fmt.Fprintf(stdout, "  AIP_hoso   %s: none\n", r.HoSo)
			fmt.Fprintln(stderr, "sohoa: AIP_hoso:", r.Err)
		}
	}
	return ok
}

// aipDir is where "process --out out" writes the AIP_hoso of batch id: out/aip/<batch id>/.
func aipDir(out, id string) string {
	return filepath.Join(out, filepath.FromSlash(aip.ArchivePrefix), id)
}

// isInformationPackage reports whether name is an AIP_hoso or SIP_hoso: a
// file (a zip), or a folder that is not a bag.
func isInformationPackage(name string) bool {
	fi, err := os.Stat(name)
	if err != nil {
		return false
	}
	if !fi.IsDir() {
		return true
	}
	_, err = os.Stat(filepath.Join(name, "bagit.txt"))
	return errors.Is(err, fs.ErrNotExist)
}

// verifyInformationPackage is "sohoa verify" of an AIP_hoso or SIP_hoso:
// one line per problem and exit status 1, or a summary and 0.
func verifyInformationPackage(ctx context.Context, name string, check aip.CheckOptions, stdout, stderr io.Writer) int {
	r, err := aip.CheckPath(ctx, name, check)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	for _, p := range r.Problems {
		fmt.Fprintln(stdout, p)
	}
	if !r.OK() {
		fmt.Fprintf(stdout, "%s: not verified (%d problem(s)); Không đạt\n", name, len(r.Problems))
		return exitFailed
	}
	fmt.Fprintf(stdout, "%s: verified\n", name)
	fmt.Fprintf(stdout, "  package    %s_hoso %s, %d văn bản\n", r.Kind, r.ObjID, r.Documents)
	fmt.Fprintf(stdout, "  organisation %s\n", r.OrgID)
	fmt.Fprintf(stdout, "  PDFs       %s\n", pades.Summary(r.Signatures))
	return exitOK
}

// pullAIPs is the AIP_hoso part of "handover pull": the zips of batch id into
// out/aip/<id>/, each checked, a line per package and per problem. It reports
// false when a package could not be pulled or has problems.
//
// Their PDFs' signers are bound to the organisation of the pulled bag
// (its metadata/batch.json) by the trust of vf (else seal.trustFile of cfg).
func pullAIPs(ctx context.Context, cfg *configs.Config, store storage.Store, id, out, bagDir string, vf verifierFlags, stdout, stderr io.Writer) ([]handover.Package, bool) {
	check, err := aipCheckOptions(cfg, vf, bagDir)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return nil, false
	}
	pkgs, err := handover.PullAIPs(ctx, store, id, aipDir(out, id), check)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa: AIP_hoso:", err)
		return nil, false
	}
	ok := true
	for _, p := range pkgs {
		fmt.Fprintf(stdout, "AIP_hoso %s: %s, SHA-256 %s, %d văn bản, %d trang\n", p.HoSo, p.Name, p.SHA256, p.Documents, p.Pages)
		for _, pr := range p.Problems {
			ok = false
			fmt.Fprintf(stdout, "  %s: %s\n", p.Name, pr)
		}
	}
	return pkgs, ok
}

// aipCheckOptions is how handover checks the AIP_hoso of the bag at bagDir:
// the CA certificates of --ca, the trust of --trust (else seal.trustFile of
// cfg), and the organisation the bag's metadata names.
func aipCheckOptions(cfg *configs.Config, vf verifierFlags, bagDir string) (aip.CheckOptions, error) {
	var check aip.CheckOptions
	var err error
	if check.Roots, err = loadRoots(vf.ca); err != nil {
		return check, err
	}
	file := vf.trust
	if file == "" && cfg != nil {
		file = cfg.Seal.TrustFile
	}
	if check.Trust, err = loadTrust(file); err != nil {
		return check, err
	}
	b, err := aip.ReadBatch(os.DirFS(bagDir))
	if err != nil {
		return check, fmt.Errorf("AIP_hoso: the organisation of the package: %w", err)
	}
	check.OrgID = b.OrgID
	return check, nil
}
