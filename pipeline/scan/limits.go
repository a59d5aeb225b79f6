package scan

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// checkTIFFDepth refuses, from the header, sample layouts and compressions the
// decoder cannot read, so that validation finds them instead of processing.
func checkTIFFDepth(info Info, bps, spp uint64) error {
	switch bps {
	case 1, 2, 4, 8, 16:
	default:
		return fmt.Errorf("%w TIFF: %d bits per sample", ErrUnsupported, bps)
	}
	if spp < 1 || spp > 5 {
		return fmt.Errorf("%w TIFF: %d samples per pixel", ErrUnsupported, spp)
	}
	if strings.HasPrefix(info.Compression, "tiff-compression-") {
		return fmt.Errorf("%w TIFF compression %s", ErrUnsupported, strings.TrimPrefix(info.Compression, "tiff-compression-"))
	}
	if strings.HasPrefix(info.ColorModel, "tiff-photometric-") {
		return fmt.Errorf("%w TIFF colour model (photometric interpretation %s)", ErrUnsupported, strings.TrimPrefix(info.ColorModel, "tiff-photometric-"))
	}
	return nil
}

// BytesPerPixel is the size of one pixel of the page once decoded, as the
// decoders hold it in memory: 1 for bitonal, gray and palette pages, 2 for
// 16-bit gray, 3 for colour JPEG, 4 for 8-bit colour and CMYK, 8 for 16-bit
// colour.
func (i Info) BytesPerPixel() int64 {
	wide := int64(1)
	if i.Depth > 8 {
		wide = 2
	}
	switch i.ColorModel {
	case "bitonal", "palette":
		return 1
	case "gray", "mask":
		return wide
	case "rgb", "ycbcr":
		if i.Format == JPEG {
			return 3
		}
		return 4 * wide
	}
	return 4 * wide // rgba, gray-alpha, cmyk, lab and anything else
}

// DecodedBytes is the memory the page's pixels take once decoded:
// width × height × bytes per pixel.
func (i Info) DecodedBytes() int64 {
	return int64(i.Width) * int64(i.Height) * i.BytesPerPixel()
}

// Page budgets: the decoded size of one page is bounded by a share of the
// machine's memory, so that a small file that decodes to gigabytes (a
// decompression bomb) is refused from its header, before any pixel is decoded.
const (
	// WorkingCopies is how many times a page's decoded size a worker may hold
	// at once while it normalizes, recognises and encodes it (the decoded
	// image, its gray copy, the deskewed and cropped copies, the encoder's buffer).
	WorkingCopies = 4
	// MinPageBudget and MaxPageBudget clamp the per-page budget: every A3
	// colour page at 600 dpi (about 280 MB decoded) fits the maximum.
	MinPageBudget = 64 << 20
	MaxPageBudget = 1 << 30
	// defaultMemory is assumed when the machine's memory cannot be read.
	defaultMemory = 4 << 30
)

// PageBudget is the largest decoded size of one page, in bytes, when workers
// pages are processed at once on a machine with memory bytes: each worker
// may hold WorkingCopies copies of its page, and half the memory is left to
// the rest of the system. The result is clamped to [MinPageBudget, MaxPageBudget].
func PageBudget(memory int64, workers int) int64 {
	if workers < 1 {
		workers = 1
	}
	b := memory / 2 / int64(workers) / WorkingCopies
	return max(MinPageBudget, min(MaxPageBudget, b))
}

// Memory returns the memory available to this process: the smaller of the
// machine's total memory and the cgroup limit, or 4 GiB when neither can be read.
func Memory() int64 {
	mem := int64(0)
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				if err == nil {
					mem = kb << 10
				}
				break
			}
		}
		f.Close()
	}
	if data, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if lim, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64); err == nil && lim > 0 && (mem == 0 || lim < mem) {
			mem = lim
		}
	}
	if mem <= 0 {
		return defaultMemory
	}
	return mem
}

// CheckBudget returns an error wrapping ErrTooLarge when the page decodes to
// more than budget bytes.
func CheckBudget(info Info, budget int64) error {
	if budget <= 0 {
		return nil
	}
	if n := info.DecodedBytes(); n > budget {
		return fmt.Errorf("%w: %dx%d pixels of %d bytes decode to %d MB, over the %d MB a page may take on this installation (memory shared by the workers): scan at a lower resolution, in gray or 8-bit, or split the page",
			ErrTooLarge, info.Width, info.Height, info.BytesPerPixel(), mb(n), mb(budget))
	}
	return nil
}

func mb(n int64) int64 { return (n + 1<<20 - 1) >> 20 }
