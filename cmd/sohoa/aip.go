package main

import (
	"context"
	"crypto/x509"
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
func verifyInformationPackage(ctx context.Context, name string, roots *x509.CertPool, stdout, stderr io.Writer) int {
	r, err := aip.CheckPath(ctx, name, aip.CheckOptions{Roots: roots})
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
	fmt.Fprintf(stdout, "  PDFs       %s\n", pades.Summary(r.Signatures))
	return exitOK
}

// pullAIPs is the AIP_hoso part of "handover pull": the zips of batch id into
// out/aip/<id>/, each checked, a line per package and per problem. It reports
// false when a package could not be pulled or has problems.
func pullAIPs(ctx context.Context, store storage.Store, id, out, caFile string, stdout, stderr io.Writer) ([]handover.Package, bool) {
	roots, err := loadRoots(caFile)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return nil, false
	}
	pkgs, err := handover.PullAIPs(ctx, store, id, aipDir(out, id), roots)
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
