package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa-vn/sohoa/pipeline/testenv"

	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/pipeline/accounts"
)

// TestUserCommand: "sohoa user add" creates a user who can log in with the
// password from the file (stored hashed), "passwd" replaces the password,
// "disable" stops the logins, "list" shows them; bad roles and short
// passwords are usage errors. Redis database 89 (see scripts/with-services.sh).
func TestUserCommand(t *testing.T) {
	addr := os.Getenv("SOHOA_TEST_REDIS_ADDR")
	if addr == "" {
		t.Fatal("SOHOA_TEST_REDIS_ADDR not set: run the tests with scripts/with-services.sh (make test)")
	}
	ctx := context.Background()
	db := testenv.RedisDB(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr, DB: db})
	defer rdb.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sohoa.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("redis:\n  url: redis://%s/%d\n", addr, db)), 0o600)
	pw := func(p string) string {
		f := filepath.Join(dir, "pw")
		os.WriteFile(f, []byte(p+"\n"), 0o600)
		return f
	}
	if code, _, errOut := sohoa(t, "user", "add", "lan.nguyen", "--role", "staff", "--full-name", "Nguyễn Thị Lan",
		"--config", cfg, "--password-file", pw("mật-khẩu-của-lan")); code != exitOK {
		t.Fatalf("user add: %d %s", code, errOut)
	}
	if code, _, errOut := sohoa(t, "user", "add", "x", "--role", "root", "--config", cfg, "--password-file", pw("0123456789")); code != exitUsage || !strings.Contains(errOut, "root") {
		t.Errorf("bad role: %d %s", code, errOut)
	}
	if code, _, errOut := sohoa(t, "user", "add", "y", "--role", "staff", "--config", cfg, "--password-file", pw("short")); code != exitUsage {
		t.Errorf("short password: %d %s", code, errOut)
	}
	if code, _, _ := sohoa(t, "user", "add", "lan.nguyen", "--role", "admin", "--config", cfg, "--password-file", pw("0123456789")); code != exitFailed {
		t.Errorf("second add of a user: %d", code)
	}
	st, err := accounts.New(rdb, accounts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := st.Login(ctx, "lan.nguyen", "mật-khẩu-của-lan", "127.0.0.1"); err != nil || u.Role != "staff" || u.FullName != "Nguyễn Thị Lan" {
		t.Fatalf("login after add: %+v %v", u, err)
	}
	if h, _ := rdb.HGet(ctx, "sohoa:user:lan.nguyen", "hash").Result(); !strings.HasPrefix(h, "$argon2id$") {
		t.Errorf("stored hash %q", h)
	}
	if code, _, errOut := sohoa(t, "user", "passwd", "lan.nguyen", "--config", cfg, "--password-file", pw("mật-khẩu-mới-123")); code != exitOK {
		t.Fatalf("passwd: %d %s", code, errOut)
	}
	if _, err := st.Login(ctx, "lan.nguyen", "mật-khẩu-của-lan", "127.0.0.1"); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Errorf("old password after passwd: %v", err)
	}
	if _, err := st.Login(ctx, "lan.nguyen", "mật-khẩu-mới-123", "127.0.0.1"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if code, _, errOut := sohoa(t, "user", "disable", "lan.nguyen", "--config", cfg); code != exitOK {
		t.Fatalf("disable: %d %s", code, errOut)
	}
	if _, err := st.Login(ctx, "lan.nguyen", "mật-khẩu-mới-123", "127.0.0.1"); !errors.Is(err, accounts.ErrDisabled) {
		t.Errorf("login after disable: %v", err)
	}
	if code, out, _ := sohoa(t, "user", "list", "--config", cfg); code != exitOK || out != "lan.nguyen\tstaff\tdisabled\tNguyễn Thị Lan\n" {
		t.Errorf("list: %d %q", code, out)
	}
	if code, _, _ := sohoa(t, "user", "disable", "nobody", "--config", cfg); code != exitFailed {
		t.Errorf("disable unknown user: %d", code)
	}
}
