package configs

import (
	"math"
	"strings"
	"testing"
)

// TestScanDPIRange is issue 12 item 17 for the configuration: scan.dpi is 0
// (none) or from 50 to 2400; NaN, Inf and anything outside are refused.
func TestScanDPIRange(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e300, 49.9, 2400.1, -1} {
		c := Default()
		c.Scan.DPI = v
		if err := c.Check(); err == nil || !strings.Contains(err.Error(), "scan.dpi") {
			t.Errorf("scan.dpi %v: Check = %v, want an error naming scan.dpi", v, err)
		}
	}
	for _, v := range []float64{0, 50, 300, 2400} {
		c := Default()
		c.Scan.DPI = v
		if err := c.Check(); err != nil {
			t.Errorf("scan.dpi %v: %v", v, err)
		}
	}
}
