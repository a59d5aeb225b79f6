package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline/testenv"
)

// TestLoad runs 200 concurrent readers of the dashboard, the review pages and the API on
// loopback for 30 s (SOHOA_LOAD_SECONDS) while a batch is processed, and
// reports the latency percentiles. It asserts that the batch completes and
// that every request succeeds (within the client's 30 s timeout); the
// latencies are figures for the log, not assertions: under -race beside the
// other packages on two shared cores, p99 reached 2.3 s and the maximum 3.0 s
// with the machine not even running the whole suite, too close to any bound
// that would still mean something.
func TestLoad(t *testing.T) {
	const readers = 200
	dur := 30 * time.Second
	if s := os.Getenv("SOHOA_LOAD_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("SOHOA_LOAD_SECONDS=%q: %v", s, err)
		}
		dur = time.Duration(n) * time.Second
	}
	e := newEnv(t, 64<<20)
	id := e.upload(batchFiles(t, "web-load-1", false))
	e.startWorker(1)

	tr := &http.Transport{MaxIdleConnsPerHost: readers, MaxConnsPerHost: readers}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	paths := []struct{ path, role string }{
		{"/", configs.RoleStaff},
		{"/?fragment=1", configs.RoleStaff},
		{"/batches/" + id, configs.RoleStaff},
		{"/batches/" + id + "?fragment=1", configs.RoleStaff},
		{"/api/v1/batches", configs.RoleStation},
		{"/api/v1/batches/" + id, configs.RoleOfficer},
		{"/api/v1/batches/" + id + "/documents/0/pages/1/thumbnail", configs.RoleStaff}, // 404 until the page is done
		{"/healthz", ""},
		// The review pages: the list, a document's screen and its large page rendering (404 until done).
		{"/batches/" + id + "/review", configs.RoleStaff},
		{"/batches/" + id + "/documents/0/review", configs.RoleStaff},
		{"/api/v1/batches/" + id + "/documents/0/pages/1/image?width=1200", configs.RoleStaff},
	}
	const firstReview = 8 // paths[firstReview:] are the review pages
	ctx, cancel := context.WithTimeout(context.Background(), dur)
	defer cancel()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		review    []time.Duration // the review pages' share of latencies
		failures  []string
		wg        sync.WaitGroup
	)
	start := time.Now()
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine, mineReview []time.Duration
			for i := r; ctx.Err() == nil; i++ {
				p := paths[i%len(paths)]
				req, _ := http.NewRequest("GET", e.url+p.path, nil)
				if p.role != "" {
					req.Header.Set("Authorization", "Bearer "+e.tokens[p.role])
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 && !(resp.StatusCode == 404 && p.role == configs.RoleStaff) {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				mine = append(mine, time.Since(t0))
				if i%len(paths) >= firstReview {
					mineReview = append(mineReview, mine[len(mine)-1])
				}
				if err != nil {
					mu.Lock()
					failures = append(failures, p.path+": "+err.Error())
					mu.Unlock()
				}
				// A dashboard polls every 2 s; these readers come back 8 times faster.
				select {
				case <-ctx.Done():
				case <-time.After(250 * time.Millisecond):
				}
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			review = append(review, mineReview...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sum := e.waitFinished(id, testenv.WaitLimit)
	if sum.State != "complete" || sum.PagesDone != 2 {
		t.Errorf("batch under load: %+v", sum.BatchStatus)
	}
	if len(failures) > 0 {
		t.Errorf("%d of %d requests failed, e.g. %s", len(failures), len(latencies), failures[0])
	}
	slices.Sort(latencies)
	slices.Sort(review)
	pct := func(p float64) time.Duration { return latencies[int(p*float64(len(latencies)-1))] }
	t.Logf("load: review pages (list, document screen, page image): %d requests, p50 %v, p99 %v, max %v",
		len(review), review[len(review)/2], review[int(0.99*float64(len(review)-1))], review[len(review)-1])
	t.Logf("load: %d readers, %d requests in %v (%.0f/s): p50 %v, p90 %v, p99 %v, max %v; batch %s finished %v after submit",
		readers, len(latencies), elapsed.Round(time.Millisecond), float64(len(latencies))/elapsed.Seconds(),
		pct(0.5), pct(0.9), pct(0.99), latencies[len(latencies)-1], sum.State, sum.FinishedAt.Sub(sum.Submitted).Round(time.Second))
}
