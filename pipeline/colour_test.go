package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/bag"
)

// TestColourDepth: a page scanned as 8-bit grey is flagged under-24-bit
// (page result, batch record, PREMIS, naming the rule) and kept grey in the
// PDF; a colour page is not flagged; with RequireColour, validation refuses
// the grey page, naming the file and the rule.
func TestColourDepth(t *testing.T) {
	grey, err := os.ReadFile("../testdata/samples/cv-giao-nop-p01.png") // 8-bit greyscale PNG
	if err != nil {
		t.Fatal(err)
	}
	colour, err := os.ReadFile("../testdata/samples/qd-chinh-ly-p01.jpg") // YCbCr JPEG
	if err != nil {
		t.Fatal(err)
	}
	dir := makeBatch(t, map[string]string{
		"H49.64.33.2019.01.VTLT/1/p1.png": string(grey),
		"H49.64.33.2019.01.VTLT/2/p1.jpg": string(colour),
	})
	_, err = Load(context.Background(), dir, LoadOptions{RequireColour: true})
	var pe *ValidationError
	if !errors.As(err, &pe) || len(pe.Problems) != 1 || pe.Problems[0].File != "H49.64.33.2019.01.VTLT/1/p1.png" ||
		!strings.Contains(pe.Problems[0].What, "under 24-bit colour") || !strings.Contains(pe.Problems[0].What, ColourRule) {
		t.Fatalf("Load with RequireColour: %v, want one problem naming the grey page and the rule", err)
	}
	b, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var results []*PageResult
	rep, err := Process(context.Background(), b, t.TempDir(), Options{Workers: 1, OnPage: func(e PageEvent) {
		if e.Err != nil {
			t.Error(e.Err)
		}
		results = append(results, e.Result)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 {
		t.Fatalf("%d page results", len(results))
	}
	for _, r := range results {
		flagged := slices.Contains(r.Flags, FlagUnder24Bit)
		switch r.Page.File {
		case "H49.64.33.2019.01.VTLT/1/p1.png":
			if !flagged || !r.Image.Gray {
				t.Errorf("grey page: flags %v, grey image %v; want flagged and kept grey", r.Flags, r.Image.Gray)
			}
		default:
			if flagged || r.Image.Gray {
				t.Errorf("colour page: flags %v, grey image %v", r.Flags, r.Image.Gray)
			}
		}
	}
	bagDir := filepath.Join(rep.Bag)
	rec, err := os.ReadFile(filepath.Join(bagDir, filepath.FromSlash(bag.BatchRecordFile)))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(rec), `"under-24-bit"`) != 1 {
		t.Errorf("batch.json names under-24-bit %d times, want once:\n%s", strings.Count(string(rec), `"under-24-bit"`), rec)
	}
	premis, err := os.ReadFile(filepath.Join(bagDir, filepath.FromSlash(bag.PremisFile)))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(premis), FlagUnder24Bit+": "+ColourRule) != 1 {
		t.Errorf("PREMIS names the colour rule %d times, want once", strings.Count(string(premis), FlagUnder24Bit+": "+ColourRule))
	}
}
