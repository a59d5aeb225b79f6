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

// parseConfigured parses args with fs, checks that from minPos to maxPos
// positional arguments were given, and loads the configuration named by
// *config (or $SOHOA_CONFIG). When ok is false the command returns code: the
// usage or the error has been printed.
func parseConfigured(fs *flag.FlagSet, config *string, args []string, minPos, maxPos int, stderr io.Writer) (pos []string, cfg *configs.Config, code int, ok bool) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, nil, helpOrUsage(err), false
	}
	if len(pos) < minPos || len(pos) > maxPos {
		fs.Usage()
		return nil, nil, exitUsage, false
	}
	if cfg, err = loadConfig(*config); err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return nil, nil, exitUsage, false
	}
	return pos, cfg, exitOK, true
}

// configFlag registers the --config flag on fs.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", "configuration file (default $SOHOA_CONFIG; see configs/sohoa.example.yaml)")
}
