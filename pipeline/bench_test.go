package pipeline

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// benchWorkers is the parallelism of both sohoa and the tesseract floor.
const benchWorkers = 2

// benchBatch makes a batch of 12 one-page documents (the four samples, three
// times each: colour and grey, JPEG, PNG and TIFF, upright, turned and skewed).
func benchBatch(b *testing.B) (string, []string) {
	b.Helper()
	dir := b.TempDir()
	samples := []string{"bb-giao-nhan-p01.jpg", "cv-giao-nop-p01.png", "qd-chinh-ly-p01.jpg", "tt-so-hoa-p01.tif"}
	var pages []string
	for round := 1; round <= 3; round++ {
		fc := fmt.Sprintf("H49.64.33.2025.%02d.BENCH", round)
		for i, s := range samples {
			data, err := os.ReadFile(filepath.Join("../testdata/samples", s))
			if err != nil {
				b.Fatal(err)
			}
			p := filepath.Join(dir, fc, fmt.Sprint(i+1), "p1"+filepath.Ext(s))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				b.Fatal(err)
			}
			pages = append(pages, p)
		}
	}
	return dir, pages
}

// tesseractFloor runs the tesseract command alone over the pages, workers at a
// time, with OMP_THREAD_LIMIT=1: the least any OCR pipeline can take.
func tesseractFloor(b *testing.B, pages []string, lang string, workers int) (wall, cpu time.Duration) {
	b.Helper()
	out := b.TempDir()
	jobs := make(chan int)
	errs := make(chan error, len(pages))
	var wg sync.WaitGroup
	var mu sync.Mutex
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				cmd := exec.Command("tesseract", pages[i], filepath.Join(out, fmt.Sprint(i)), "-l", lang)
				cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
				if msg, err := cmd.CombinedOutput(); err != nil {
					errs <- fmt.Errorf("tesseract %s: %v: %s", pages[i], err, msg)
					continue
				}
				mu.Lock()
				cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
				mu.Unlock()
			}
		}()
	}
	for i := range pages {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return time.Since(start), cpu
}

// processCPU returns the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkProcessVsTesseract measures sohoa process against the tesseract
// floor on the same 12 pages with the same parallelism, side by side. It
// reports the ratio of wall times (x-floor) and of CPU times (cpu-x-floor:
// steadier on a shared machine).
func BenchmarkProcessVsTesseract(b *testing.B) {
	dir, pages := benchBatch(b)
	batch, err := Load(context.Background(), dir, LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var floor, floorCPU, sohoa, sohoaCPU time.Duration
	for i := 0; i < b.N; i++ {
		w, c := tesseractFloor(b, pages, "vie", benchWorkers)
		floor, floorCPU = floor+w, floorCPU+c
		out := b.TempDir()
		start, startCPU := time.Now(), processCPU()
		if _, err := Process(context.Background(), batch, out, Options{Workers: benchWorkers, Languages: "vie"}); err != nil {
			b.Fatal(err)
		}
		sohoa, sohoaCPU = sohoa+time.Since(start), sohoaCPU+processCPU()-startCPU
	}
	n := float64(b.N)
	b.ReportMetric(float64(len(pages))/(sohoa.Minutes()/n), "pages/min")
	b.ReportMetric(float64(len(pages))/(floor.Minutes()/n), "floor-pages/min")
	b.ReportMetric(sohoa.Seconds()/floor.Seconds(), "x-floor")
	b.ReportMetric(sohoaCPU.Seconds()/floorCPU.Seconds(), "cpu-x-floor")
}
