package ocr

import (
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/disintegration/imaging"
	"github.com/hhrutter/tiff"
	"golang.org/x/text/unicode/norm"
)

// samplesDir holds the sample scans copied from the shared samples, with their truth.
const samplesDir = "../testdata/samples"

// sample is one sample scan and what is known about it.
type sample struct {
	Name        string
	File        string  `json:"file"`
	SkewDeg     float64 `json:"skew_deg"`
	RotationDeg int     `json:"rotation_deg"`
	DPI         int     `json:"dpi"`
	Color       bool    `json:"color"`
	GT          string  // ground truth text
}

// sampleCache decodes every sample once per test binary.
type sampleCache struct {
	once    sync.Once
	samples []sample
	images  map[string]image.Image
	err     error
}

var cache sampleCache

// loadSamples returns the samples sorted by name and their decoded images.
func loadSamples(tb testing.TB) ([]sample, map[string]image.Image) {
	tb.Helper()
	cache.once.Do(func() {
		cache.samples, cache.images, cache.err = readSamples(samplesDir)
	})
	if cache.err != nil {
		tb.Fatalf("load samples: %v", cache.err)
	}
	return cache.samples, cache.images
}

func readSamples(dir string) ([]sample, map[string]image.Image, error) {
	data, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		return nil, nil, err
	}
	var truth map[string]sample
	if err := json.Unmarshal(data, &truth); err != nil {
		return nil, nil, err
	}
	var samples []sample
	images := map[string]image.Image{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, len(truth))
	for name, s := range truth {
		s.Name = name
		gt, err := os.ReadFile(filepath.Join(dir, name+".gt.txt"))
		if err != nil {
			return nil, nil, err
		}
		s.GT = string(gt)
		samples = append(samples, s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			img, err := decodeFile(filepath.Join(dir, s.File))
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			images[s.Name] = img
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, nil, err
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i].Name < samples[j].Name })
	return samples, images, nil
}

// decodeFile decodes a JPEG, PNG or (LZW) TIFF file.
func decodeFile(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jpg", ".jpeg":
		return jpeg.Decode(f)
	case ".png":
		return png.Decode(f)
	default:
		return tiff.Decode(f)
	}
}

// restoreOrientation turns img clockwise by deg, undoing a counter-clockwise turn of deg.
func restoreOrientation(img image.Image, deg int) image.Image {
	switch deg {
	case 90:
		return imaging.Rotate270(img)
	case 180:
		return imaging.Rotate180(img)
	case 270:
		return imaging.Rotate90(img)
	}
	return img
}

// turn rotates img counter-clockwise by deg (0, 90, 180 or 270).
func turn(img image.Image, deg int) image.Image {
	switch deg {
	case 90:
		return imaging.Rotate90(img)
	case 180:
		return imaging.Rotate180(img)
	case 270:
		return imaging.Rotate270(img)
	}
	return img
}

// rotateGray rotates g counter-clockwise by deg degrees on a white background, as a gray image.
func rotateGray(g image.Image, deg float64) *image.Gray {
	if deg == 0 {
		return ToGray(g)
	}
	return ToGray(imaging.Rotate(g, deg, color.White))
}

// normalizeText returns s in NFC with every run of white space folded to one space, trimmed.
func normalizeText(s string) string {
	return strings.Join(strings.Fields(norm.NFC.String(s)), " ")
}

// cer returns the character error rate of got against want: the Levenshtein distance between
// the normalised texts (see normalizeText) divided by the number of runes of the normalised want.
func cer(got, want string) float64 {
	g := []rune(normalizeText(got))
	w := []rune(normalizeText(want))
	if len(w) == 0 {
		if len(g) == 0 {
			return 0
		}
		return 1
	}
	return float64(levenshtein(g, w)) / float64(len(w))
}

// levenshtein returns the edit distance between a and b (insertions, deletions, substitutions).
func levenshtein(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
