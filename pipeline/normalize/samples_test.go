package normalize

import (
	"encoding/json"
	"image"
	"image/draw"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/scan"
)

const samplesDir = "../../testdata/samples"

// sample is one entry of testdata/samples/truth.json.
type sample struct {
	Skew     float64 `json:"skew_deg"`
	Rotation int     `json:"rotation_deg"`
	File     string  `json:"file"`
}

func readSamples(t *testing.T) map[string]sample {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]sample
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m) == 0 {
		t.Fatal("no samples in truth.json")
	}
	return m
}

func toGray(img image.Image) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(g, g.Rect, img, b.Min, draw.Src)
	return g
}

// ink returns the darkness (255 minus brightness, above a paper level) of
// each row of g, and the centre of the ink.
func ink(g *image.Gray) (rows []float64, cx, cy float64) {
	b := g.Bounds()
	rows = make([]float64, b.Dy())
	var sum float64
	for y := range b.Dy() {
		for x, v := range g.Pix[y*g.Stride : y*g.Stride+b.Dx()] {
			if v < 128 {
				d := float64(255 - v)
				rows[y] += d
				cx += d * float64(x)
				cy += d * float64(y)
				sum += d
			}
		}
	}
	return rows, cx / sum / float64(b.Dx()), cy / sum / float64(b.Dy())
}

// sharpness is the variance of the row darkness: largest when the text
// lines are level.
func sharpness(rows []float64) float64 {
	var m, v float64
	for _, r := range rows {
		m += r
	}
	m /= float64(len(rows))
	for _, r := range rows {
		v += (r - m) * (r - m)
	}
	return v / float64(len(rows))
}

// TestSamples restores the sample scans with the truth's rotation and skew:
// the pages come out portrait, with the ink in the upper left as in the
// source documents, and the text lines are more level than with a skew half
// a degree off either way.
func TestSamples(t *testing.T) {
	for name, s := range readSamples(t) {
		t.Run(name, func(t *testing.T) {
			img, _, err := scan.Decode(filepath.Join(samplesDir, s.File), 1)
			if err != nil {
				t.Fatal(err)
			}
			up, err := Rotate(toGray(img), s.Rotation)
			if err != nil {
				t.Fatal(err)
			}
			if b := up.Bounds(); b.Dx() >= b.Dy() {
				t.Fatalf("turned %d°: %v is not portrait", s.Rotation, b)
			}
			// Turned the other way round, the ink sits low on the page.
			wrong, err := Rotate(toGray(img), (s.Rotation+180)%360)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, cy := ink(wrong.(*image.Gray)); cy < 0.55 {
				t.Errorf("turned the wrong way round, the ink centre is at %.2f of the height", cy)
			}
			var best float64
			var sharp [3]float64
			for i, d := range []float64{-0.5, 0, 0.5} {
				out := Deskew(up, s.Skew+d).(*image.Gray)
				rows, cx, cy := ink(out)
				sharp[i] = sharpness(rows)
				if d == 0 {
					t.Logf("ink centre (%.2f, %.2f) of the page", cx, cy)
					if cy > 0.45 || cx > 0.5 {
						t.Errorf("ink centre (%.2f, %.2f): the page is not upright", cx, cy)
					}
				}
				best = math.Max(best, sharp[i])
				if d == 0 {
					if _, r := CropBorders(out); r != out.Rect {
						t.Errorf("a page without scanner border cropped to %v", r)
					}
				}
			}
			t.Logf("row-profile sharpness at skew -0.5°, 0, +0.5° off the truth: %.0f %.0f %.0f", sharp[0], sharp[1], sharp[2])
			if sharp[1] != best {
				t.Errorf("deskewing by the true %.2f° is not the sharpest: %v", s.Skew, sharp)
			}
		})
	}
}
