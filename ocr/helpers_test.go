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
