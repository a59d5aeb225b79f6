package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline/backuplog"
	"github.com/sohoa-vn/sohoa/pipeline/copies"
)

func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("restore", "--from COPY --to STORE [--package ID]... [--dry-run] [--ca ca.pem] [flags]",
		"Rebuilds an archive store from a copy (a restore drill, or after losing a store): every package of\n"+
			"the copy, or those given with --package, is copied into STORE where missing, its SHA-256 and lock\n"+
			"verified, then read back and verified (seal and PDF signatures against --ca, or the bag when the\n"+
			"package is not sealed). COPY and STORE are names of the configuration: \""+configs.PrimaryName+"\" for the\n"+
			"archive bucket, or a copy's name. --dry-run lists what would be restored. Exits 1 when a package\n"+
			"cannot be restored or does not verify. The restore goes into the backup log.", stderr)
	config := configFlag(fs)
	from := fs.String("from", "", "the copy to restore from")
	to := fs.String("to", "", "the store to rebuild")
	dry := fs.Bool("dry-run", false, "only list the packages and objects that would be restored")
	caFile := fs.String("ca", "", "PEM file with the organisation's CA certificate(s), to verify sealed packages")
	trustFile := fs.String("trust", "", "trust file (YAML) naming, per Organization-Identifier, the certificates that may sign for it (default seal.trustFile)")
	var ids stringList
	fs.Var(&ids, "package", "a package (batch id) to restore (repeatable; default every package of the copy)")
	_, cfg, code, ok := parseConfigured(fs, config, args, 0, 0, stderr)
	if !ok {
		return code
	}
	if *from == "" || *to == "" || *from == *to {
		fmt.Fprintln(stderr, "sohoa restore: give --from and --to, two different stores")
		return exitUsage
	}
	roots, err := loadRoots(*caFile)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	if *trustFile == "" {
		*trustFile = cfg.Seal.TrustFile
	}
	trust, err := loadTrust(*trustFile)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	stores, err := archiveStores(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	var src, dst *copies.Copy
	var names []string
	for i := range stores {
		names = append(names, stores[i].Name)
		switch stores[i].Name {
		case *from:
			src = &stores[i]
		case *to:
			dst = &stores[i]
		}
	}
	if src == nil || dst == nil {
		fmt.Fprintf(stderr, "sohoa restore: --from %q / --to %q: the stores are %s\n", *from, *to, strings.Join(names, ", "))
		return exitUsage
	}
	res, err := copies.Restore(ctx, src.Store, *dst, ids, copies.RestoreOptions{DryRun: *dry, Roots: roots, Trust: trust})
	code = exitOK
	failed := 0
	var objects, missing int
	var bytes int64
	for _, r := range res {
		objects += r.Objects
		missing += r.Missing
		bytes += r.Bytes
		switch {
		case r.Err != nil:
			failed++
			fmt.Fprintf(stdout, "%s: FAILED: %v\n", r.ID, r.Err)
		case *dry:
			fmt.Fprintf(stdout, "%s: would restore %d of %d objects\n", r.ID, r.Missing, r.Objects)
		default:
			fmt.Fprintf(stdout, "%s: restored %d of %d objects, verified\n", r.ID, r.Missing, r.Objects)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		code = exitFailed
	}
	if failed > 0 {
		code = exitFailed
	}
	fmt.Fprintf(stdout, "restore from %s to %s: %d packages, %d failed; %d objects missing in %s of %d\n",
		*from, *to, len(res), failed, missing, *to, objects)
	if *dry {
		return code
	}
	log, closeLog, lerr := openBackupLog(cfg, stores)
	if lerr != nil {
		fmt.Fprintln(stderr, "sohoa:", lerr)
		return exitFailed
	}
	defer closeLog()
	e, lerr := log.Append(ctx, backuplog.Entry{Kind: backuplog.KindRestore, Store: *to, Objects: missing, Bytes: bytes,
		OK: code == exitOK, Detail: fmt.Sprintf("from %s: %d packages, %d failed", *from, len(res), failed)})
	if e.ID == "" {
		fmt.Fprintln(stderr, "sohoa: backup log:", lerr)
		return exitFailed
	}
	return code
}
