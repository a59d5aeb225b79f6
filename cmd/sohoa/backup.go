package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/pipeline/backuplog"
)

func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	sub := map[string]func(context.Context, []string, io.Writer, io.Writer) int{
		"report":   runBackupReport,
		"incident": runBackupIncident,
	}
	if len(args) > 0 {
		if f, ok := sub[args[0]]; ok {
			return f(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintln(stderr, "usage: sohoa backup report --from DATE --to DATE --out F.pdf | sohoa backup incident ID --out F.pdf")
	return exitUsage
}

// parseDay reads DATE as YYYY-MM-DD (Vietnam time; end of that day when end
// is set) or RFC 3339.
func parseDay(s string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, time.FixedZone("ICT", 7*3600))
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: want YYYY-MM-DD or RFC 3339", s)
	}
	if end {
		t = t.AddDate(0, 0, 1).Add(-time.Millisecond)
	}
	return t, nil
}

// recordFlags are the flags shared by the backup records.
type recordFlags struct{ out, org, place *string }

func runBackupReport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("backup report", "--from DATE --to DATE --out F.pdf [--org ORG] [--place PLACE] [flags]",
		"Writes the biên bản sao lưu (TT 05/2025 Phụ lục VII, in the form of NĐ 30/2020) for a period from the\n"+
			"backup log: every copy, check, incident and restore, signed with the configured key; the text\n"+
			"form goes beside it (F.txt). DATE is YYYY-MM-DD (Vietnam time) or RFC 3339.", stderr)
	config := configFlag(fs)
	from := fs.String("from", "", "first day of the period")
	to := fs.String("to", "", "last day of the period")
	rf := recordFlags{fs.String("out", "", "the PDF to write"), fs.String("org", "", "the agency keeping the archive"),
		fs.String("place", "", "where the record is drawn up (e.g. Hà Nội)")}
	_, cfg, code, ok := parseConfigured(fs, config, args, 0, 0, stderr)
	if !ok {
		return code
	}
	if *rf.out == "" || *from == "" || *to == "" {
		fmt.Fprintln(stderr, "sohoa backup report: --from, --to and --out are required")
		return exitUsage
	}
	start, err := parseDay(*from, false)
	if err == nil {
		var end time.Time
		if end, err = parseDay(*to, true); err == nil {
			return writeBackupRecord(ctx, cfg.Redis.URL, func(log *backuplog.Log) (*backuplog.Record, error) {
				entries, err := log.Range(ctx, start, end)
				if err != nil {
					return nil, err
				}
				return backuplog.Report(*rf.org, *rf.place, start, end, time.Now(), entries), nil
			}, rf, func(pdf []byte) ([]byte, error) { return signRecord(ctx, cfg, pdf, *rf.org) }, stdout, stderr)
		}
	}
	fmt.Fprintln(stderr, "sohoa backup report:", err)
	return exitUsage
}

func runBackupIncident(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("backup incident", "ID --out F.pdf [--org ORG] [--place PLACE] [flags]",
		"Writes the biên bản xử lý sự cố và phục hồi (TT 05/2025 Phụ lục VII, NĐ 30/2020 form) of the incident\n"+
			"ID (as 'sohoa fixity' printed it): what was damaged, where, when and how it was restored; signed\n"+
			"with the configured key, the text form beside it.", stderr)
	config := configFlag(fs)
	rf := recordFlags{fs.String("out", "", "the PDF to write"), fs.String("org", "", "the agency keeping the archive"),
		fs.String("place", "", "where the record is drawn up (e.g. Hà Nội)")}
	pos, cfg, code, ok := parseConfigured(fs, config, args, 1, 1, stderr)
	if !ok {
		return code
	}
	if *rf.out == "" {
		fmt.Fprintln(stderr, "sohoa backup incident: --out is required")
		return exitUsage
	}
	return writeBackupRecord(ctx, cfg.Redis.URL, func(log *backuplog.Log) (*backuplog.Record, error) {
		e, err := log.Get(ctx, pos[0])
		if err != nil {
			return nil, err
		}
		if e.Kind != backuplog.KindIncident {
			return nil, fmt.Errorf("backup log entry %s is a %s, not an incident: %w", e.ID, e.Kind, backuplog.ErrNoEntry)
		}
		return backuplog.Incident(*rf.org, *rf.place, time.Now(), e), nil
	}, rf, func(pdf []byte) ([]byte, error) { return signRecord(ctx, cfg, pdf, *rf.org) }, stdout, stderr)
}

// writeBackupRecord makes the record with make from the backup log in the
// Redis at url, writes its PDF, signed with sign, to rf.out and its text beside it.
func writeBackupRecord(ctx context.Context, url string, make func(*backuplog.Log) (*backuplog.Record, error), rf recordFlags,
	sign func([]byte) ([]byte, error), stdout, stderr io.Writer) int {
	ro, err := redis.ParseURL(url)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa: redis url:", err)
		return exitUsage
	}
	rdb := redis.NewClient(ro)
	defer rdb.Close()
	rec, err := make(&backuplog.Log{RDB: rdb})
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		if errors.Is(err, backuplog.ErrNoEntry) {
			return exitUsage
		}
		return exitFailed
	}
	var pdf, txt bytes.Buffer
	if err := rec.WritePDF(&pdf); err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	if err := rec.Text(&txt); err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	signed, err := sign(pdf.Bytes())
	if err != nil {
		fmt.Fprintln(stderr, "sohoa: sign the record:", err)
		return exitFailed
	}
	txtPath := strings.TrimSuffix(*rf.out, filepath.Ext(*rf.out)) + ".txt"
	for _, f := range []struct {
		path string
		data []byte
	}{{*rf.out, signed}, {txtPath, txt.Bytes()}} {
		if err := writeFileAtomic(f.path, f.data); err != nil {
			fmt.Fprintln(stderr, "sohoa:", err)
			return exitFailed
		}
	}
	fmt.Fprintln(stdout, *rf.out)
	return exitOK
}
