package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline/aip"
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
