package pipeline

import (
	"fmt"
	"math"
	"strconv"
)

// The range of resolutions a user may give (--dpi, ?dpi=, scan.dpi): values
// outside it are typing mistakes, not scanner settings.
const (
	MinGivenDPI = 50
	MaxGivenDPI = 2400
)

// CheckGivenDPI checks a resolution given by a user for pages whose files
// record none: a finite number from MinGivenDPI to MaxGivenDPI.
func CheckGivenDPI(v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < MinGivenDPI || v > MaxGivenDPI {
		return fmt.Errorf("dpi %v: want a resolution from %d to %d dots per inch", v, MinGivenDPI, MaxGivenDPI)
	}
	return nil
}

// ParseGivenDPI parses and checks a resolution given as text (?dpi=300).
func ParseGivenDPI(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("dpi %q: not a number: want a resolution from %d to %d dots per inch", s, MinGivenDPI, MaxGivenDPI)
	}
	return v, CheckGivenDPI(v)
}
