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
