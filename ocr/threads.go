package ocr

/*
#cgo LDFLAGS: -lgomp
int omp_get_thread_limit(void);
*/
import "C"

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
)

// SingleThreaded reports whether OpenMP, which Tesseract uses inside each recognition, is
// limited to one thread. Running Tesseract multi-threaded next to other workers doubles its CPU
// time on this kind of machine without finishing sooner.
//
// OpenMP reads OMP_THREAD_LIMIT once, when the program starts: setting it later with
// os.Setenv has no effect. Set it in the environment that starts the program, or call
// ReexecSingleThreaded first thing in main (or TestMain).
func SingleThreaded() bool {
	return C.omp_get_thread_limit() == 1
}

// ReexecSingleThreaded makes OpenMP single-threaded for this program. If OMP_THREAD_LIMIT is
// not already 1, it sets it and replaces the running process with a fresh copy of itself (same
// executable, arguments and otherwise same environment) by execve(2); it returns only when no
// re-execution was needed or on error. Call it before starting any goroutine or opening files
// that must survive.
func ReexecSingleThreaded() error {
	if os.Getenv("OMP_THREAD_LIMIT") == "1" {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("ocr: re-exec single-threaded: %w", err)
	}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "OMP_THREAD_LIMIT=")
	})
	env = append(env, "OMP_THREAD_LIMIT=1")
	if err := syscall.Exec(exe, os.Args, env); err != nil {
		return fmt.Errorf("ocr: re-exec single-threaded: %w", err)
	}
	return nil // not reached
}
