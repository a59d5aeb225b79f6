package pipeline

import (
	"context"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/ocr/accuracy"
	"github.com/sohoa-vn/sohoa/pipeline/scan"
)

// BenchmarkAdminSteps measures, on the 10 admin sample pages, the character error rate
// (against .gt.txt, reading order) before and after each OCR step sohoa adds to Tesseract,
// cumulatively: bare (Tesseract's order), +layout, +dropout, +junk, +correct (safe syllable
// corrections), and +choices (the LSTM alternatives, measured but off in the product); and
// the time per page each step takes beside Tesseract's own time.
func BenchmarkAdminSteps(b *testing.B) {
	ctx := context.Background()
	pages, imgs := adminNormalized(b)
	steps := []struct {
		name string
		opts ocr.Options
	}{
		{"bare", ocr.Options{Skip: ocr.StepLayout | ocr.StepJunk | ocr.StepCorrect}},
		{"layout", ocr.Options{Skip: ocr.StepJunk | ocr.StepCorrect}},
		{"dropout", ocr.Options{Skip: ocr.StepJunk | ocr.StepCorrect, Dropout: ocr.InkRed | ocr.InkBlue}},
		{"junk", ocr.Options{Skip: ocr.StepCorrect, Dropout: ocr.InkRed | ocr.InkBlue}},
		{"correct", ocr.Options{Dropout: ocr.InkRed | ocr.InkBlue}},
		{"choices", ocr.Options{Dropout: ocr.InkRed | ocr.InkBlue, LSTMChoices: true}}, // measured, not used
	}
	for i := 0; i < b.N; i++ {
		for _, st := range steps {
			eng, err := ocr.NewEngine(st.opts)
			if err != nil {
				b.Fatal(err)
			}
			var cer float64
			var times ocr.StepTimes
			for j, img := range imgs {
				r, err := eng.Recognize(ctx, img)
				if err != nil {
					b.Fatal(err)
				}
				cer += accuracy.CER(r.Text(), pages[j].gt)
				times.Image += r.Times.Image
				times.Tesseract += r.Times.Tesseract
				times.Layout += r.Times.Layout
				times.Junk += r.Times.Junk
				times.Correct += r.Times.Correct
			}
			eng.Close()
			n := float64(len(imgs))
			b.ReportMetric(100*cer/n, "cer%-"+st.name)
			switch st.name {
			case "bare":
				b.ReportMetric(times.Tesseract.Seconds()/n, "s/page-tesseract")
				b.ReportMetric(times.Image.Seconds()/n, "s/page-gray")
			case "layout":
				b.ReportMetric(times.Layout.Seconds()/n, "s/page-layout")
			case "dropout":
				b.ReportMetric(times.Image.Seconds()/n, "s/page-gray+dropout")
			case "junk":
				b.ReportMetric(times.Junk.Seconds()/n, "s/page-junk")
			case "correct":
				b.ReportMetric(times.Correct.Seconds()/n, "s/page-correct")
			case "choices":
				// The LSTM choices (lstm_choice_mode 2) are asked of Tesseract only here.
				b.ReportMetric(times.Tesseract.Seconds()/n, "s/page-tesseract-choices")
				b.ReportMetric(times.Correct.Seconds()/n, "s/page-correct-choices")
			}
		}
	}
}

// BenchmarkAdminVsTesseract runs the page stages (decode, orientation, skew, crop, dropout,
// OCR, layout, junk, image encoding) on the 10 admin pages one at a time, and the tesseract
// command alone on the same files, side by side. x-tesseract is the ratio of wall times,
// cpu-x-tesseract of CPU times (steadier on a shared machine); the target is at most 1.15.
func BenchmarkAdminVsTesseract(b *testing.B) {
	ctx := context.Background()
	pages, _ := adminNormalized(b)
	eng, err := ocr.NewEngine(ocr.Options{Dropout: ocr.InkRed | ocr.InkBlue})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	var tess, tessCPU, sohoa, sohoaCPU time.Duration
	var stages Timings
	out := b.TempDir()
	for i := 0; i < b.N; i++ {
		for j, p := range pages {
			cmd := exec.Command("tesseract", filepath.Join(adminDir, p.file), filepath.Join(out, fmt.Sprint(j)), "-l", "vie")
			cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
			start := time.Now()
			if msg, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("tesseract %s: %v: %s", p.file, err, msg)
			}
			tess += time.Since(start)
			tessCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()

			start, startCPU := time.Now(), selfCPU()
			pg := &Page{Index: 1, File: p.file, FilePage: 1, DPI: 300}
			res, err := ProcessPage(ctx, eng, adminDir, pg, PageOptions{MinConfidence: 70})
			if err != nil {
				b.Fatal(err)
			}
			stages.Decode += res.Timings.Decode
			stages.Normalize += res.Timings.Normalize
			stages.OCR += res.Timings.OCR
			stages.Encode += res.Timings.Encode
			sohoa += time.Since(start)
			sohoaCPU += selfCPU() - startCPU
		}
	}
	n := float64(b.N * len(pages))
	b.ReportMetric(tess.Seconds()/n, "s/page-tesseract")
	b.ReportMetric(sohoa.Seconds()/n, "s/page-sohoa")
	b.ReportMetric(sohoa.Seconds()/tess.Seconds(), "x-tesseract")
	b.ReportMetric(stages.Decode.Seconds()/n, "s/page-decode")
	b.ReportMetric(stages.Normalize.Seconds()/n, "s/page-normalize")
	b.ReportMetric(stages.OCR.Seconds()/n, "s/page-ocr")
	b.ReportMetric(stages.Encode.Seconds()/n, "s/page-encode")
	b.ReportMetric(sohoaCPU.Seconds()/tessCPU.Seconds(), "cpu-x-tesseract")
}

// selfCPU returns the CPU time (user and system) this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// adminBenchPage is an admin page file (relative to adminDir) and its ground truth.
type adminBenchPage struct {
	file, gt string
}

// adminNormalized returns the admin pages and their normalized (upright, straight, cropped)
// colour images.
func adminNormalized(b *testing.B) ([]adminBenchPage, []image.Image) {
	b.Helper()
	files, err := filepath.Glob(filepath.Join(adminDir, "s0*", "page-*.*"))
	if err != nil {
		b.Fatal(err)
	}
	eng, err := ocr.NewEngine(ocr.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	var pages []adminBenchPage
	var imgs []image.Image
	for _, f := range files {
		ext := filepath.Ext(f)
		if ext != ".jpg" && ext != ".png" && ext != ".tif" {
			continue
		}
		gt, err := os.ReadFile(f[:len(f)-len(ext)] + ".gt.txt")
		if err != nil {
			b.Fatal(err)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		img, _, err := scan.DecodeBytes(data, 1)
		if err != nil {
			b.Fatal(err)
		}
		norm, _, err := Normalize(context.Background(), eng, img)
		if err != nil {
			b.Fatal(err)
		}
		rel, _ := filepath.Rel(adminDir, f)
		pages = append(pages, adminBenchPage{file: filepath.ToSlash(rel), gt: string(gt)})
		imgs = append(imgs, norm)
	}
	if len(pages) != 10 {
		b.Fatalf("%d admin pages, want 10", len(pages))
	}
	return pages, imgs
}
