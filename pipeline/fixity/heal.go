package fixity

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/pipeline/backuplog"
	"github.com/sohoa-vn/sohoa/pipeline/copies"
	"github.com/sohoa-vn/sohoa/storage"
)

// Repair is one object of one store restored from an intact copy.
type Repair struct {
	Key     string `json:"key"`
	Store   string `json:"store"`   // the store it was restored in
	Problem string `json:"problem"` // Altered, Missing or Unreadable
	From    string `json:"from"`    // the store holding the intact object
	SHA256  string `json:"sha256"`
}

// Lost is an object that no store holds intact.
type Lost struct {
	Key     string `json:"key"`
	Store   string `json:"store"`
	Problem string `json:"problem"`
	Detail  string `json:"detail,omitempty"`
}

// HealResult is the outcome of Heal over every archive store.
type HealResult struct {
	Started  time.Time          `json:"started"`
	Finished time.Time          `json:"finished"`
	Checks   map[string]*Result `json:"checks"` // by store name, as found before any repair
	Repaired []Repair           `json:"repaired,omitempty"`
	Lost     []Lost             `json:"lost,omitempty"`    // unrecoverable: no intact copy left
	Orphans  []Lost             `json:"orphans,omitempty"` // objects in no manifest: reported, not touched
}

// OK reports whether every store holds every object intact now (after the
// repairs) and nothing is left over.
func (h *HealResult) OK() bool { return len(h.Lost) == 0 && len(h.Orphans) == 0 }

// Summary is the result on one line.
func (h *HealResult) Summary() string {
	var objects int
	var bytes int64
	for _, r := range h.Checks {
		objects += r.Objects
		bytes += r.Bytes
	}
	state := "ok"
	switch {
	case len(h.Lost) > 0:
		state = fmt.Sprintf("UNRECOVERABLE: %d objects have no intact copy left", len(h.Lost))
	case len(h.Orphans) > 0:
		state = fmt.Sprintf("%d orphans", len(h.Orphans))
	}
	return fmt.Sprintf("fixity %s over %d stores: %s; %d repaired from an intact copy (%d objects, %d bytes read in %s)",
		h.Finished.UTC().Format(time.RFC3339), len(h.Checks), state, len(h.Repaired), objects, bytes,
		h.Finished.Sub(h.Started).Round(time.Millisecond))
}

// Heal checks every store of stores (the primary and the copies, each with
// its name and retention) with Check and restores every object that is
// altered, unreadable or missing in one store from a store where it is intact:
// present, read and matching its manifest. A missing object is put again, an
// altered one replaced (storage.CopyStore.Replace: a new version where the
// store keeps versions); either way under the store's retention and verified
// against the intact object's SHA-256. An object found intact in one store and
// absent from another that holds its package is missing there.
// Objects that no store holds intact are Lost. The error is for a store that
// cannot be checked or repaired, or a cancelled context.
func Heal(ctx context.Context, stores []copies.Copy, opts Options) (*HealResult, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h := &HealResult{Started: opts.Now(), Checks: map[string]*Result{}}
	bad := make([]map[string]Problem, len(stores)) // per store: key -> problem
	have := make([]map[string]bool, len(stores))   // per store: keys stored
	for i, s := range stores {
		res, err := Check(ctx, s.Store, opts)
		if err != nil {
			return nil, fmt.Errorf("store %s: %w", s.Name, err)
		}
		h.Checks[s.Name] = res
		bad[i], have[i] = map[string]Problem{}, map[string]bool{}
		for _, p := range res.Problems {
			if p.Kind == Orphan {
				h.Orphans = append(h.Orphans, Lost{Key: p.Key, Store: s.Name, Problem: p.Kind, Detail: p.Detail})
				continue
			}
			bad[i][p.Key] = p
		}
		err = s.Store.List(ctx, "", func(o storage.ObjectInfo) error {
			if !strings.HasPrefix(o.Key, backuplog.MirrorPrefix) {
				have[i][o.Key] = true
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("store %s: list: %w", s.Name, err)
		}
	}
	// Objects intact in one store and absent from another that holds the
	// package. A package absent whole is not taken for damage: it may be
	// incomplete (never copied) or not copied yet; "sohoa restore" rebuilds a
	// store that lost packages whole.
	pkgs := make([]map[string]bool, len(stores))
	for j := range stores {
		pkgs[j] = map[string]bool{}
		for key := range have[j] {
			id, _, _ := strings.Cut(key, "/")
			pkgs[j][id] = true
		}
	}
	for i := range stores {
		for key := range have[i] {
			if _, broken := bad[i][key]; broken || isOrphan(h.Orphans, stores[i].Name, key) {
				continue
			}
			id, _, _ := strings.Cut(key, "/")
			for j := range stores {
				if !have[j][key] && pkgs[j][id] && (opts.Include == nil || opts.Include(id)) {
					if _, known := bad[j][key]; !known {
						bad[j][key] = Problem{Key: key, Kind: Missing, Detail: "stored in " + stores[i].Name + ", not here"}
					}
				}
			}
		}
	}
	for i, s := range stores {
		keys := make([]string, 0, len(bad[i]))
		for k := range bad[i] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, key := range keys {
			p := bad[i][key]
			from := intactIn(stores, bad, have, i, key)
			if from < 0 {
				h.Lost = append(h.Lost, Lost{Key: key, Store: s.Name, Problem: p.Kind, Detail: p.Detail})
				continue
			}
			rep, err := restore(ctx, stores[from], s, key, p, opts.Now())
			if err != nil {
				if ctx.Err() != nil {
					return nil, err
				}
				h.Lost = append(h.Lost, Lost{Key: key, Store: s.Name, Problem: p.Kind,
					Detail: fmt.Sprintf("%s; restoring from %s failed: %v", p.Detail, stores[from].Name, err)})
				continue
			}
			h.Repaired = append(h.Repaired, rep)
		}
	}
	h.Finished = opts.Now()
	return h, nil
}

func isOrphan(orphans []Lost, store, key string) bool {
	for _, o := range orphans {
		if o.Store == store && o.Key == key {
			return true
		}
	}
	return false
}

// intactIn returns the index of a store other than i holding key intact, or -1.
func intactIn(stores []copies.Copy, bad []map[string]Problem, have []map[string]bool, i int, key string) int {
	for j := range stores {
		if j == i || !have[j][key] {
			continue
		}
		if _, broken := bad[j][key]; !broken {
			return j
		}
	}
	return -1
}

// restore copies key from the intact store src into dst, which has problem p with it.
func restore(ctx context.Context, src, dst copies.Copy, key string, p Problem, now time.Time) (Repair, error) {
	info, err := src.Store.Stat(ctx, key)
	if err != nil {
		return Repair{}, err
	}
	var ret *storage.Retention
	if dst.Retention != nil {
		ret = dst.Retention(now)
	}
	replace := p.Kind != Missing
	if !replace {
		// Gone from the listing, but a Put could still meet a stored object (a race, or a hidden version).
		if _, err := dst.Store.Stat(ctx, key); err == nil {
			replace = true
		} else if !errors.Is(err, storage.ErrNotExist) {
			return Repair{}, err
		}
	}
	if _, err := copies.Transfer(ctx, src.Store, dst.Store, key, info.SHA256, info.Size, ret, replace); err != nil {
		return Repair{}, err
	}
	return Repair{Key: key, Store: dst.Name, Problem: p.Kind, From: src.Name, SHA256: info.SHA256}, nil
}

// Share returns an Options.Include that accepts the packages whose turn is
// the day of now, so that a daily run over period (at least a day) reads
// every package once per period: each batch id has a fixed day in the period.
func Share(period time.Duration, now time.Time) func(id string) bool {
	days := max(int64(period/(24*time.Hour)), 1)
	today := now.Unix() / 86400 % days
	return func(id string) bool {
		h := fnv.New64a()
		h.Write([]byte(id))
		return int64(h.Sum64()%uint64(days)) == today
	}
}

// Incident returns the backup log entry recording the damage h found and how
// it was dealt with, or false when there was none.
func (h *HealResult) Incident() (backuplog.Entry, bool) {
	if len(h.Repaired) == 0 && len(h.Lost) == 0 {
		return backuplog.Entry{}, false
	}
	e := backuplog.Entry{Time: h.Finished, Kind: backuplog.KindIncident, OK: len(h.Lost) == 0,
		Objects: len(h.Repaired) + len(h.Lost)}
	for _, r := range h.Repaired {
		action := "restored from " + r.From
		if r.Problem != Missing {
			action += " (replaced: a new version where the store keeps versions)"
		}
		e.Items = append(e.Items, backuplog.Item{Key: r.Key, Store: r.Store, Problem: r.Problem, Action: action, SHA256: r.SHA256})
	}
	for _, l := range h.Lost {
		e.Items = append(e.Items, backuplog.Item{Key: l.Key, Store: l.Store, Problem: l.Problem, Action: "unrecoverable: no intact copy"})
	}
	e.Detail = fmt.Sprintf("%d objects restored from an intact copy, %d unrecoverable", len(h.Repaired), len(h.Lost))
	return e, true
}

// HealHandler returns the handler of TypeCheck when the archive has copies:
// each run checks, in every store (stores[0] the primary), the share of the
// packages whose turn is today (Share), so that the whole holdings are read
// once per period, and heals what it can. Each store's figures (objects,
// bytes, time) go into the backup log, with the incident if any; the
// primary's result is saved for "sohoa status". Unrecoverable objects are
// logged as errors; a store that cannot be read fails the task (retried).
func HealHandler(stores []copies.Copy, rdb redis.Cmdable, log *backuplog.Log, period time.Duration, logger *slog.Logger) asynq.HandlerFunc {
	if logger == nil {
		logger = slog.Default()
	}
	return func(ctx context.Context, t *asynq.Task) error {
		h, err := Heal(ctx, stores, Options{Logger: logger, Include: Share(period, time.Now())})
		if err != nil {
			return err
		}
		for _, l := range h.Lost {
			logger.Error("fixity: UNRECOVERABLE, no intact copy left", "key", l.Key, "store", l.Store, "problem", l.Problem, "detail", l.Detail)
		}
		for _, r := range h.Repaired {
			logger.Warn("fixity: restored from an intact copy", "key", r.Key, "store", r.Store, "from", r.From, "problem", r.Problem)
		}
		var errs []error
		for _, s := range stores {
			r := h.Checks[s.Name]
			e, err := log.Append(ctx, backuplog.Entry{Time: r.Finished, Kind: backuplog.KindCheck, Store: s.Name,
				Objects: r.Objects, Bytes: r.Bytes, OK: r.OK(), Detail: "scheduled share: " + r.Summary()})
			logAppend(logger, e, err, &errs)
		}
		if inc, ok := h.Incident(); ok {
			e, err := log.Append(ctx, inc)
			logAppend(logger, e, err, &errs)
		}
		if err := Save(ctx, rdb, h.Checks[stores[0].Name]); err != nil {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}
}

// logAppend keeps the error of a log entry that is not in the log (no id); a
// mirror that missed an entry in the log is only logged, so that the task is
// not run again (and the entry written twice) for a store that is down.
func logAppend(logger *slog.Logger, e backuplog.Entry, err error, errs *[]error) {
	switch {
	case err == nil:
	case e.ID == "":
		*errs = append(*errs, err)
	default:
		logger.Warn("backup log mirror", "entry", e.ID, "error", err)
	}
}
