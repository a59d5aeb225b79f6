package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sohoa-vn/sohoa/pipeline/aip"
	"github.com/sohoa-vn/sohoa/pipeline/handover"
)

// runExport is "sohoa export sip": SIP_hoso packages of a batch for another archive.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "sip" {
		fmt.Fprintln(stderr, "usage: sohoa export sip BATCH_ID|PACKAGE --out DIR [--hoso CODE]... [--ca ca.pem]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return exitOK
		}
		return exitUsage
	}
	fs := newFlagSet("export sip", "BATCH_ID|PACKAGE --out DIR [--hoso CODE]... [--ca ca.pem]",
		"Writes one SIP_hoso zip (Thông tư 05/2025, Phụ lục III) per complete hồ sơ of a batch, to hand hồ sơ\n"+
			"to another archive's system: from PACKAGE (a batch package folder on disk) or from the archive\n"+
			"(BATCH_ID, pulled with every checksum checked). --hoso limits the export to the hồ sơ named\n"+
			"(repeatable). Each SIP is then checked as \"sohoa verify\" does; every problem is printed on its own\n"+
			"line and the exit status is 1.", stderr)
	config := configFlag(fs)
	out := fs.String("out", "", "folder to write the SIP zips into (required)")
	archiveDir := fs.String("archive-dir", "", "read BATCH_ID from the local store at this folder instead of S3")
	caFile := fs.String("ca", "", "PEM file with the CA certificate(s) the PDF signers must chain to (default seal.caFile)")
	var only stringList
	fs.Var(&only, "hoso", "export only this hồ sơ (mã hồ sơ); repeatable")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return helpOrUsage(err)
	}
	if len(pos) != 1 || *out == "" {
		fs.Usage()
		return exitUsage
	}
	cfg, err := loadConfig(*config)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	if *caFile == "" {
		*caFile = cfg.Seal.CAFile
	}
	roots, err := loadRoots(*caFile)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	trust, err := loadTrust(cfg.Seal.TrustFile)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	bagDir := pos[0]
	if fi, err := os.Stat(bagDir); err != nil || !fi.IsDir() {
		store, err := archiveStore(ctx, cfg, *archiveDir)
		if err != nil {
			fmt.Fprintln(stderr, "sohoa:", err)
			return exitUsage
		}
		tmp, err := os.MkdirTemp("", "sohoa-export-")
		if err != nil {
			fmt.Fprintln(stderr, "sohoa:", err)
			return exitFailed
		}
		defer os.RemoveAll(tmp)
		res, err := handover.Pull(ctx, store, pos[0], tmp, handover.PullOptions{})
		if err != nil {
			fmt.Fprintln(stderr, "sohoa:", err)
			return exitFailed
		}
		bagDir = res.Bag
	}
	bag := os.DirFS(bagDir)
	b, err := aip.ReadBatch(bag)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	for _, code := range only {
		if !hasHoSo(b, code) {
			fmt.Fprintf(stderr, "sohoa: --hoso %s: no such hồ sơ in batch %s\n", code, b.ID)
			return exitUsage
		}
	}
	rs, err := aip.WriteBatch(ctx, bag, b, *out, aip.Options{Kind: aip.SIP}, only)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	status := exitOK
	for _, r := range rs {
		if r.Package == nil {
			fmt.Fprintf(stdout, "%s: no SIP_hoso: %v\n", r.HoSo, r.Err)
			status = exitFailed
			continue
		}
		zipPath := filepath.Join(*out, r.Package.Name)
		rep, err := aip.CheckPath(ctx, zipPath, aip.CheckOptions{Roots: roots, Trust: trust, OrgID: b.OrgID})
		if err != nil {
			fmt.Fprintf(stdout, "%s: %v\n", zipPath, err)
			status = exitFailed
			continue
		}
		for _, p := range rep.Problems {
			fmt.Fprintf(stdout, "%s: %s\n", r.Package.Name, p)
		}
		if !rep.OK() {
			status = exitFailed
			continue
		}
		fmt.Fprintf(stdout, "%s: %s (%d văn bản, %d trang), verified\n", r.HoSo, zipPath, r.Package.Documents, r.Package.Pages)
	}
	return status
}

func hasHoSo(b *aip.Batch, code string) bool {
	for _, h := range b.HoSo {
		if h.Code == code {
			return true
		}
	}
	return false
}
