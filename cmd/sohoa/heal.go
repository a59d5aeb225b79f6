package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline/backuplog"
	"github.com/sohoa-vn/sohoa/pipeline/fixity"
	"github.com/sohoa-vn/sohoa/storage"
)

// runHeal is "sohoa fixity" with copies: fixity.Heal over the primary archive
// and every copy, each store's check and any incident written to the backup
// log, the primary's result saved for "sohoa status" when save is set.
func runHeal(ctx context.Context, cfg *configs.Config, save bool, stdout, stderr io.Writer) int {
	stores, err := archiveStores(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	h, err := fixity.Heal(ctx, stores, fixity.Options{Logger: newLogger(io.Discard)})
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	for _, s := range stores {
		for _, p := range h.Checks[s.Name].Problems {
			fmt.Fprintf(stdout, "%s: %s\n", s.Name, p)
		}
	}
	for _, r := range h.Repaired {
		fmt.Fprintf(stdout, "restored %s in %s from %s (%s)\n", r.Key, r.Store, r.From, r.Problem)
	}
	for _, l := range h.Lost {
		fmt.Fprintf(stdout, "UNRECOVERABLE: %s in %s is %s and no store holds it intact\n", l.Key, l.Store, l.Problem)
	}
	fmt.Fprintln(stdout, h.Summary())
	code := exitOK
	if !h.OK() {
		code = exitFailed
	}
	log, closeLog, err := openBackupLog(cfg, stores)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	defer closeLog()
	for _, s := range stores {
		r := h.Checks[s.Name]
		_, err := log.Append(ctx, backuplog.Entry{Time: r.Finished, Kind: backuplog.KindCheck, Store: s.Name, Objects: r.Objects,
			Bytes: r.Bytes, OK: r.OK(), Detail: r.Summary()})
		if err != nil {
			fmt.Fprintln(stderr, "sohoa: backup log:", err)
		}
	}
	if inc, ok := h.Incident(); ok {
		inc, err := log.Append(ctx, inc)
		if inc.ID == "" {
			fmt.Fprintln(stderr, "sohoa: the incident could not be recorded in the backup log:", err)
			return exitFailed
		}
		if err != nil {
			fmt.Fprintln(stderr, "sohoa: backup log:", err)
		}
		fmt.Fprintf(stdout, "incident %s recorded in the backup log (sohoa backup incident %s --out F.pdf)\n", inc.ID, inc.ID)
	}
	if save {
		if err := fixity.Save(ctx, log.RDB, h.Checks[configs.PrimaryName]); err != nil {
			fmt.Fprintln(stderr, "sohoa: result not saved:", err)
			code = exitFailed
		}
	}
	return code
}

// scheduledHeal returns the worker's fixity task handler with copies: a share
// of the holdings a day, over cfg.Backup.CheckPeriodDays, in every store.
func scheduledHeal(ctx context.Context, cfg *configs.Config, rdb redis.Cmdable, logger *slog.Logger) (asynq.Handler, error) {
	stores, err := archiveStores(ctx, cfg)
	if err != nil {
		return nil, err
	}
	mirrors := map[string]storage.Store{}
	for _, s := range stores {
		mirrors[s.Name] = s.Store
	}
	log := &backuplog.Log{RDB: rdb, Mirrors: mirrors}
	period := time.Duration(cfg.Backup.CheckPeriodDays) * 24 * time.Hour
	return fixity.HealHandler(stores, rdb, log, period, logger), nil
}
