package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/sohoa-vn/sohoa/pipeline/catalogue"
)

// runCatalogue runs "sohoa catalogue template|export".
func runCatalogue(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	usage := func() int {
		fmt.Fprintln(stderr, "Usage:\n  sohoa catalogue template --out mucluc.xlsx   # an empty catalogue to fill in\n  sohoa catalogue export PACKAGE --out mucluc.xlsx   # the catalogue of a package, with the source of every value")
		return exitUsage
	}
	if len(args) == 0 {
		return usage()
	}
	sub, args := args[0], args[1:]
	var about, argsUsage string
	switch sub {
	case "template":
		argsUsage, about = "--out mucluc.xlsx", "Writes an empty catalogue workbook (sheets Hồ sơ, Văn bản, Lô, Hướng dẫn) with drop-down lists and an example row.\nPut it in a batch folder as mucluc.xlsx instead of batch.json."
	case "export":
		argsUsage, about = "PACKAGE --out mucluc.xlsx", "Writes the catalogue of a package: the metadata actually used, given or read from the page,\nand on the sheet Nguồn the source of every value. Importing it again gives the same metadata."
	case "-h", "--help", "help":
		usage()
		return exitOK
	default:
		return usage()
	}
	fs := newFlagSet("catalogue "+sub, argsUsage, about, stderr)
	out := fs.String("out", "", "the workbook to write (required)")
	npos := 0 // template
	if sub == "export" {
		npos = 1
	}
	pos, code, ok := parseArgs(fs, args, npos, npos, out)
	if !ok {
		return code
	}
	var buf bytes.Buffer
	var err error
	if sub == "template" {
		err = catalogue.Template(&buf)
	} else {
		err = catalogue.Export(pos[0], &buf)
	}
	if err == nil {
		err = os.WriteFile(*out, buf.Bytes(), 0o644)
	}
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	fmt.Fprintln(stdout, "wrote", *out)
	return exitOK
}
