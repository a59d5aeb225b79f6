package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sohoa-vn/sohoa/configs"
)

var errHelp = flag.ErrHelp

// parseInterspersed parses flags that may come before or after positional
// arguments ("sohoa process BATCH --out DIR"), returning the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// newFlagSet makes a command's flag set with a usage text naming its arguments.
func newFlagSet(name, args, about string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sohoa %s %s\n\n%s\n\nFlags:\n", name, args, about)
		fs.PrintDefaults()
	}
	return fs
}

// loadConfig reads the configuration file named by --config or $SOHOA_CONFIG,
// with environment overrides.
func loadConfig(path string) (*configs.Config, error) {
	if path == "" {
		path = os.Getenv("SOHOA_CONFIG")
	}
	return configs.Load(path, os.Environ())
}

// parseArgs parses args with fs (flags before or after the positional
// arguments), and checks that from minPos to maxPos positional arguments were
// given and that every flag in required was set; otherwise it prints the
// usage. Every command parses its arguments with it (or parseConfigured).
// When ok is false the command returns code: the usage or the error has
// been printed.
func parseArgs(fs *flag.FlagSet, args []string, minPos, maxPos int, required ...*string) (pos []string, code int, ok bool) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, helpOrUsage(err), false
	}
	missing := false
	for _, r := range required {
		missing = missing || *r == ""
	}
	if len(pos) < minPos || len(pos) > maxPos || missing {
		fs.Usage()
		return nil, exitUsage, false
	}
	return pos, exitOK, true
}

// parseConfigured is parseArgs followed by loading the configuration named
// by *config (or $SOHOA_CONFIG), for commands that take --config.
func parseConfigured(fs *flag.FlagSet, config *string, args []string, minPos, maxPos int, stderr io.Writer, required ...*string) (pos []string, cfg *configs.Config, code int, ok bool) {
	pos, code, ok = parseArgs(fs, args, minPos, maxPos, required...)
	if !ok {
		return nil, nil, code, false
	}
	cfg, err := loadConfig(*config)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return nil, nil, exitUsage, false
	}
	return pos, cfg, exitOK, true
}

// configFlag registers the --config flag on fs.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", "configuration file (default $SOHOA_CONFIG; see configs/sohoa.example.yaml)")
}
