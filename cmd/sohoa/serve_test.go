package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sohoa-vn/sohoa/pipeline/server"
)

func TestTokenCreate(t *testing.T) {
	code, out, errOut := sohoa(t, "token", "create", "--role", "staff", "--name", "lưu trữ 1")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "sohoa_") {
		t.Fatalf("output %q", out)
	}
	if want := "sha256: " + server.HashToken(lines[0]) + "}"; !strings.HasSuffix(lines[1], want) || !strings.Contains(lines[1], "role: staff") {
		t.Errorf("config line %q, want it to end with %q", lines[1], want)
	}
	if code, _, _ := sohoa(t, "token", "create", "--role", "root"); code != exitUsage {
		t.Errorf("unknown role: exit %d", code)
	}
}

// TestServe runs "sohoa serve" as a process: health checks answer without a
// token, the API with the token from "sohoa token create", and SIGTERM stops
// it cleanly.
func TestServe(t *testing.T) {
	e := newQueueEnv(t)
	code, tok, errOut := sohoa(t, "token", "create", "--role", "admin")
	if code != exitOK {
		t.Fatal(errOut)
	}
	lines := strings.Split(strings.TrimSpace(tok), "\n")
	f, err := os.OpenFile(e.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("server:\n  addr: 127.0.0.1:0\n  tokens:\n" + lines[1] + "\n")
	f.Close()

	cmd := exec.Command(e.bin, "serve", "--config", e.config)
	cmd.Env = e.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	url, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed no address: %v\n%s", err, stderr.String())
	}
	url = strings.TrimSuffix(strings.TrimSpace(url), "/")
	get := func(path, token string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", url+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	if code, v := get("/readyz", ""); code != 200 || v["redis"] != "ok" || v["s3"] != "ok" {
		t.Errorf("readyz: %d %v", code, v)
	}
	if code, _ := get("/api/v1/batches", ""); code != 401 {
		t.Errorf("no token: %d", code)
	}
	if code, v := get("/api/v1/batches", lines[0]); code != 200 || v["batches"] == nil {
		t.Errorf("admin token: %d %v", code, v)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil || !strings.Contains(stderr.String(), "server stopped") {
			t.Errorf("after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop after SIGTERM")
	}
}
