package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"

	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline/audit"
	"github.com/sohoa-vn/sohoa/storage"
)

// recordAudit appends e to the audit trail in the configuration's Redis,
// mirrored into archive. e.Who defaults to the operating-system user.
func recordAudit(ctx context.Context, cfg *configs.Config, archive storage.Store, e audit.Entry) error {
	if e.Who == "" {
		e.Who = osUser()
	}
	ro, err := redis.ParseURL(cfg.Redis.URL)
	if err != nil {
		return fmt.Errorf("redis.url: %w", err)
	}
	rdb := redis.NewClient(ro)
	defer rdb.Close()
	_, err = audit.New(rdb, archive, nil).Append(ctx, e)
	return err
}

// osUser names who runs the command.
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if h, err := os.Hostname(); err == nil {
		return "unknown@" + h
	}
	return "unknown"
}

// recordHandover records the pull of batch id's package into out, whose
// record ended with exit code, in the audit trail. A handover that cannot be
// recorded fails.
func recordHandover(ctx context.Context, cfg *configs.Config, archive storage.Store, id, out string, pf partyFlags, code int, stderr io.Writer) int {
	after := "verified; handover record written"
	if code != exitOK {
		after = fmt.Sprintf("verification found problems or failed (exit %d)", code)
	}
	e := audit.Entry{Who: pf.receiver.Name, Action: audit.Handover, Batch: id, What: "package pulled to " + out, After: after,
		Detail: fmt.Sprintf("giver: %s %s; receiver: %s %s", pf.giver.Organisation, pf.giver.Name, pf.receiver.Organisation, pf.receiver.Name)}
	if err := recordAudit(ctx, cfg, archive, e); err != nil {
		fmt.Fprintln(stderr, "sohoa: the handover could not be recorded in the audit trail:", err)
		return exitFailed
	}
	return code
}

// auditCLI records e, an action done from the command line, in the audit
// trail; the action is done, so a failure to record is a warning.
func auditCLI(ctx context.Context, cfg *configs.Config, archive storage.Store, e audit.Entry, stderr io.Writer) {
	if err := recordAudit(ctx, cfg, archive, e); err != nil {
		fmt.Fprintln(stderr, "sohoa: warning: not recorded in the audit trail:", err)
	}
}
