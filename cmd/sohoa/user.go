package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/pipeline/accounts"
)

// runUser manages the dashboard's user accounts, kept in the queue's Redis.
func runUser(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("user", "add|passwd|disable|list [NAME] [flags]",
		"Manages the people who log in to the dashboard of 'sohoa serve' (API tokens stay for scanning\n"+
			"stations and scripts). Users are kept in the Redis of the configuration; 'serve' sees changes at once.\n"+
			"  add NAME --role ROLE [--full-name 'Họ và tên']   create a user\n"+
			"  passwd NAME                                      set a new password (ends the user's sessions)\n"+
			"  disable NAME                                     stop the user logging in (ends the user's sessions)\n"+
			"  list                                             list the users\n"+
			"The password is read from the first line of --password-file, or of standard input; never from a flag.\n"+
			fmt.Sprintf("It has %d to %d characters and is stored as an argon2id hash.", accounts.MinPasswordLen, accounts.MaxPasswordLen), stderr)
	config := configFlag(fs)
	role := fs.String("role", "", "add: station, staff, officer or admin")
	fullName := fs.String("full-name", "", "add: the person's full name, shown in records and the audit trail")
	pwFile := fs.String("password-file", "", "file whose first line is the password (default: standard input)")
	pos, cfg, code, ok := parseConfigured(fs, config, args, 1, 2, stderr)
	if !ok {
		return code
	}
	op, name := pos[0], ""
	if len(pos) == 2 {
		name = pos[1]
	}
	if (op == "list") != (name == "") || (op != "add" && *role != "") {
		fs.Usage()
		return exitUsage
	}
	ro, err := redis.ParseURL(cfg.Redis.URL)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa: redis.url:", err)
		return exitUsage
	}
	rdb := redis.NewClient(ro)
	defer rdb.Close()
	st, err := accounts.New(rdb, accounts.Options{})
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	switch op {
	case "add":
		if !accounts.ValidRole(*role) {
			fmt.Fprintf(stderr, "sohoa: --role %q: must be station, staff, officer or admin\n", *role)
			return exitUsage
		}
		var pw string
		if pw, err = readPassword(*pwFile); err == nil {
			err = st.Add(ctx, name, *fullName, *role, pw)
		}
	case "passwd":
		var pw string
		if pw, err = readPassword(*pwFile); err == nil {
			err = st.SetPassword(ctx, name, pw)
		}
	case "disable":
		err = st.Disable(ctx, name)
	case "list":
		var us []*accounts.User
		if us, err = st.Users(ctx); err == nil {
			for _, u := range us {
				state := "active"
				if u.Disabled {
					state = "disabled"
				}
				fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\n", u.Name, u.Role, state, u.FullName)
			}
		}
	default:
		fs.Usage()
		return exitUsage
	}
	switch {
	case errors.Is(err, accounts.ErrWeakPassword):
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	case err != nil:
		fmt.Fprintln(stderr, "sohoa: user "+op+":", err)
		return exitFailed
	}
	if op != "list" {
		fmt.Fprintf(stderr, "user %s: %s done\n", name, op)
	}
	return exitOK
}

// readPassword returns the first line of the file at path, or of standard input when path is "".
func readPassword(path string) (string, error) {
	var r io.Reader = os.Stdin
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("password file: %w", err)
		}
		defer f.Close()
		r = f
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
