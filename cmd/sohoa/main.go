// Command sohoa turns scanned paper records into archival packages:
// searchable PDF/A files with Vietnamese OCR, checksums and a BagIt bag.
//
// Usage:
//
//	sohoa process BATCH_DIR --out DIR [flags]   run the whole pipeline on this machine
//	sohoa validate BATCH_DIR [flags]            check a batch without processing it
//	sohoa submit BATCH_DIR [flags]              upload a batch and enqueue it for the workers
//	sohoa worker [flags]                        run queue tasks from Redis
//	sohoa status [BATCH_ID] [flags]             show submitted batches
//	sohoa verify DIR --ca ca.pem [--previous DIR]  check a sealed package offline
//	sohoa retry BATCH_ID [--doc CODE]... [flags] re-run what failed in a batch
//	sohoa serve [flags]                         dashboard, HTTP API, metrics and health checks
//	sohoa token create --role ROLE              make an API token for serve
//	sohoa verify-bag BAG_DIR                    check a bag's manifests against its files
//	sohoa handover pull BATCH_ID --out DIR      download a package, verify it, write the handover record
//	sohoa handover record BAG_DIR --out F.pdf   write the handover record (biên bản giao nhận) of a bag
//	sohoa fixity [flags]                        re-hash every package in the archive against its manifests
//	sohoa restore --from COPY --to STORE        rebuild an archive store from a copy, verifying every package
//	sohoa backup report|incident ... --out F.pdf  the backup records (biên bản sao lưu, sự cố và phục hồi)
//	sohoa keygen --out DIR                      make a development CA, signing key and certificate
//	sohoa version                               print the version
//
// Run "sohoa COMMAND --help" for a command's flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/sohoa-vn/sohoa/ocr"
)

// Version is sohoa's release version.
const Version = "0.1.0"

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1 // the run finished but something failed (documents, checks)
	exitUsage   = 2 // bad command line, or an environment the command cannot run in
	exitInvalid = 3 // the batch did not validate; nothing was processed
	// exitInterrupted is the shell's status for a command ended by Ctrl-C (128 + SIGINT).
	exitInterrupted = 130
)

func main() {
	// Tesseract's OpenMP reads OMP_THREAD_LIMIT when the library loads, before
	// main: restart with it set, or each page takes several times longer.
	if err := ocr.ReexecSingleThreaded(); err != nil {
		fmt.Fprintln(os.Stderr, "sohoa: warning:", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"process", "run the whole pipeline on a batch folder, on this machine", runProcess},
		{"validate", "check a batch folder (metadata, structure, resolution) without processing it", runValidate},
		{"catalogue", "spreadsheet catalogue (mucluc.xlsx): template, export", runCatalogue},
		{"submit", "upload a batch to the inbox bucket and enqueue it for the queue workers", runSubmit},
		{"worker", "run queue tasks (pages, documents, packages) from Redis", runWorker},
		{"status", "show submitted batches and their progress", runStatus},
		{"verify", "check a sealed package offline: files, checksums, METS, signature, chain", runVerify},
		{"retry", "re-run the failed pages, documents or package of a batch", runRetry},
		{"serve", "serve the dashboard, the HTTP API, the queue monitor and metrics", runServe},
		{"token", "create an API token for serve (token create --role ROLE)", runToken},
		{"user", "manage dashboard users (user add|passwd|disable|list)", runUser},
		{"verify-bag", "check a BagIt bag's manifests against its files", runVerifyBag},
		{"handover", "pull a package for handover and write the handover record (pull, record)", runHandover},
		{"fixity", "re-hash every package in the archive against its manifests; report changes", runFixity},
		{"export", "write SIP_hoso packages of a batch for another archive (export sip)", runExport},
		{"restore", "rebuild an archive store from a copy, verifying every package", runRestore},
		{"backup", "backup records from the backup log: report (biên bản sao lưu), incident (sự cố và phục hồi)", runBackup},
		{"keygen", "make a DEVELOPMENT CA, signing key and certificate for sealing", runKeygen},
		{"version", "print the version", runVersion},
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "sohoa: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "sohoa turns scanned paper records into archival packages (searchable PDF/A, checksums, BagIt).")
	fmt.Fprintln(w, "\nUsage:\n  sohoa COMMAND [arguments] [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s  %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'sohoa COMMAND --help' for a command's flags.")
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// isHelp reports whether err is the flag package's -h/--help.
func isHelp(err error) bool { return errors.Is(err, errHelp) }
