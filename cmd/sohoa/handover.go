package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/sohoa-vn/sohoa/configs"
	"github.com/sohoa-vn/sohoa/pipeline/fixity"
	"github.com/sohoa-vn/sohoa/pipeline/handover"
	"github.com/sohoa-vn/sohoa/pipeline/queue"
	"github.com/sohoa-vn/sohoa/pipeline/seal"
	"github.com/sohoa-vn/sohoa/storage"
	"github.com/sohoa-vn/sohoa/storage/local"
	"github.com/sohoa-vn/sohoa/storage/s3"
)

// packageVerifier returns how handover checks a package: the verifier that
// sohoa verify shares (handover.SealVerifier), with the CA certificates of
// --ca, the trust of --trust (else seal.trustFile of cfg) and the previous
// seal's fingerprint of --previous-seal.
func packageVerifier(cfg *configs.Config, vf verifierFlags) (handover.Verifier, error) {
	roots, err := loadRoots(vf.ca)
	if err != nil {
		return nil, err
	}
	file := vf.trust
	if file == "" && cfg != nil {
		file = cfg.Seal.TrustFile
	}
	trust, err := loadTrust(file)
	if err != nil {
		return nil, err
	}
	return handover.SealVerifier(seal.VerifyOptions{Roots: roots, Trust: trust, PreviousSHA256: vf.prevSeal}), nil
}

// verifierFlags are the flags saying how a handover checks the seal.
type verifierFlags struct{ ca, trust, prevSeal string }

func (v *verifierFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&v.ca, "ca", "", "PEM file with the organisation's CA certificate(s) that a sealed package's signer must chain to")
	fs.StringVar(&v.trust, "trust", "", "trust file (YAML) naming, per Organization-Identifier, the certificates that may sign for it (default seal.trustFile)")
	fs.StringVar(&v.prevSeal, "previous-seal", "", "the previous seal's SHA-256 fingerprint (from the previous handover record), to check the chain link")
}

// openBucket opens the S3 bucket name of cfg, retrying transient faults.
func openBucket(ctx context.Context, cfg *configs.Config, name string, lock bool) (storage.Store, error) {
	s, err := s3.New(ctx, s3.Config{Endpoint: cfg.S3.Endpoint, Bucket: name, AccessKey: cfg.S3.AccessKey,
		SecretKey: cfg.S3.SecretKey, Secure: cfg.S3.Secure, Region: cfg.S3.Region, ObjectLock: lock})
	if err != nil {
		return nil, err
	}
	// Transient S3 faults are retried within each call for up to a minute
	// (and then, in workers, by the queue task's own retries).
	log := newLogger(os.Stderr)
	policy := storage.RetryPolicy{Notify: func(op, key string, err error, wait time.Duration) {
		log.Warn("s3 unavailable, retrying", "op", op, "key", key, "wait", wait.Round(time.Millisecond), "error", err)
	}}
	return storage.WithRetry(s, policy), nil
}

// archiveStore opens the store finished packages are read from: the local
// store at dir when set, else the configured S3 archive bucket. A store that
// cannot be opened is an environment the command cannot run in (exitUsage).
func archiveStore(ctx context.Context, cfg *configs.Config, dir string) (storage.Store, error) {
	if dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("archive: %w", err)
		}
		return local.New(dir)
	}
	return openBucket(ctx, cfg, cfg.S3.ArchiveBucket, false)
}

// partyFlags are the flags naming both sides of a handover.
type partyFlags struct {
	giver, receiver handover.Party
	place, number   string // where the record is drawn up; its number ("12/BB-SNV")
}

func (p *partyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.giver.Organisation, "giver-org", "", "handing-over side (bên giao): organisation")
	fs.StringVar(&p.giver.Name, "giver-name", "", "handing-over side: full name (blank in the record if unset)")
	fs.StringVar(&p.giver.Position, "giver-position", "", "handing-over side: position")
	fs.StringVar(&p.receiver.Organisation, "receiver-org", "", "receiving side (bên nhận): organisation")
	fs.StringVar(&p.receiver.Name, "receiver-name", "", "receiving side: full name")
	fs.StringVar(&p.receiver.Position, "receiver-position", "", "receiving side: position")
	fs.StringVar(&p.place, "place", "", "where the record is drawn up (địa danh; default seal.location of the configuration; dots if unset)")
	fs.StringVar(&p.number, "number", "", `the record's number after "Số: ", e.g. 12/BB-SNV (dots if unset)`)
}

func runHandover(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	sub := map[string]func(context.Context, []string, io.Writer, io.Writer) int{
		"pull":   runHandoverPull,
		"record": runHandoverRecord,
	}
	if len(args) > 0 {
		if f, ok := sub[args[0]]; ok {
			return f(ctx, args[1:], stdout, stderr)
		}
	}
	w, code := stderr, exitUsage
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		w, code = stdout, exitOK
	}
	fmt.Fprint(w, `Usage:
  sohoa handover pull BATCH_ID --out DIR [flags]   download a package, verify it, write the handover record
  sohoa handover record BAG_DIR --out FILE.pdf      write the handover record of a local bag

Run 'sohoa handover pull --help' for the flags.
`)
	return code
}

func runHandoverPull(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("handover pull", "BATCH_ID --out DIR [flags]",
		"Downloads the package of BATCH_ID from the archive (the S3 archive bucket, or the local store given by\n"+
			"--archive-dir) to DIR/BATCH_ID, checking every file's SHA-256 against the bag manifests as it streams;\n"+
			"then verifies it (a sealed package: bag, METS, signature against the CA of --ca), and writes the\n"+
			"handover record (biên bản giao nhận) next to it as\n"+
			"DIR/handover-record.pdf and DIR/handover-record.txt. DIR must not exist or be empty. Exits 1 naming\n"+
			"the file when a checksum does not match, and when verification finds problems (the record says so).", stderr)
	config := configFlag(fs)
	out := fs.String("out", "", "folder to pull into (required; must not exist or be empty)")
	archiveDir := fs.String("archive-dir", "", "read the package from the local store at this folder instead of S3")
	quiet := fs.Bool("quiet", false, "no progress display")
	var pf partyFlags
	pf.register(fs)
	var vf verifierFlags
	vf.register(fs)
	pos, cfg, code, ok := parseConfigured(fs, config, args, 1, 1, stderr, out)
	if !ok {
		return code
	}
	id := pos[0]
	store, err := archiveStore(ctx, cfg, *archiveDir)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	bar := newByteBar(stderr, "pull", *quiet)
	res, err := handover.Pull(ctx, store, id, *out, handover.PullOptions{Progress: bar.set})
	bar.finish()
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		if errors.Is(err, handover.ErrNotEmpty) {
			return exitUsage
		}
		return exitFailed
	}
	fmt.Fprintf(stderr, "pulled %d files, %d bytes to %s; every checksum matches the manifests\n", res.Files, res.Bytes, res.Bag)
	pkgs, pkgsOK := pullAIPs(ctx, cfg, store, id, *out, res.Bag, vf, stdout, stderr)
	code = writeRecord(ctx, cfg, res.Bag, filepath.Join(*out, handover.RecordPDFName), pf, vf, stdout, stderr, pkgs...)
	if !pkgsOK && code == exitOK {
		code = exitFailed
	}
	if *archiveDir == "" { // from the archive bucket: the handover goes into the audit trail
		code = recordHandover(ctx, cfg, store, id, *out, pf, code, stderr)
	}
	return code
}

func runHandoverRecord(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("handover record", "BAG_DIR --out FILE.pdf [flags]",
		"Verifies the bag at BAG_DIR and writes its handover record (biên bản giao nhận) as FILE.pdf and, next to\n"+
			"it, FILE.txt. The record must not go inside the bag. Exits 1 when verification finds problems.", stderr)
	out := fs.String("out", "", "the record's PDF file (required; the text form is written beside it as .txt)")
	config := configFlag(fs)
	var pf partyFlags
	pf.register(fs)
	var vf verifierFlags
	vf.register(fs)
	pos, cfg, code, ok := parseConfigured(fs, config, args, 1, 1, stderr, out) // the configuration is checked now, for settings verification will need
	if !ok {
		return code
	}
	if !strings.EqualFold(filepath.Ext(*out), ".pdf") {
		fs.Usage()
		return exitUsage
	}
	bagAbs, err1 := filepath.Abs(pos[0])
	outAbs, err2 := filepath.Abs(*out)
	if err := errors.Join(err1, err2); err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	if r, err := filepath.Rel(bagAbs, outAbs); err == nil && !strings.HasPrefix(r, "..") {
		fmt.Fprintf(stderr, "sohoa: %s is inside the bag %s: the record goes next to the bag, or the bag becomes invalid\n", *out, pos[0])
		return exitUsage
	}
	return writeRecord(ctx, cfg, pos[0], *out, pf, vf, stdout, stderr)
}

// signRecord signs the record's PDF with the configured key; unchanged when no key is configured.
func signRecord(ctx context.Context, cfg *configs.Config, pdf []byte, org string) ([]byte, error) {
	key, err := loadSigner(cfg)
	if err != nil || key == nil {
		return pdf, err
	}
	defer key.Close()
	ps, err := pdfSigner(cfg, key)
	if err != nil {
		return nil, err
	}
	return ps.SignPDF(ctx, pdf, org)
}

// writeRecord verifies the bag at dir and writes its record to pdfPath and the
// text form beside it.
// With a signing key configured, the record's PDF is signed with it.
func writeRecord(ctx context.Context, cfg *configs.Config, dir, pdfPath string, pf partyFlags, vf verifierFlags, stdout, stderr io.Writer, pkgs ...handover.Package) int {
	verify, err := packageVerifier(cfg, vf)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	v, err := verify(ctx, dir)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa: verify:", err)
		return exitFailed
	}
	for _, p := range v.Problems {
		fmt.Fprintf(stderr, "sohoa: verify: %s [%s: %s]\n", p.Message(true), p.Code, p.What)
	}
	rec, err := handover.NewRecord(dir, v)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	rec.Giver, rec.Receiver, rec.Created = pf.giver, pf.receiver, time.Now()
	rec.Packages = pkgs
	rec.Place, rec.Number = pf.place, pf.number
	if rec.Place == "" {
		rec.Place = cfg.Seal.Location
	}
	txtPath := strings.TrimSuffix(pdfPath, filepath.Ext(pdfPath)) + ".txt"
	var pdf, txt bytes.Buffer
	if err := rec.WritePDF(&pdf); err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	if err := rec.WriteText(&txt); err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	pdfBytes, err := signRecord(ctx, cfg, pdf.Bytes(), "")
	if err != nil {
		fmt.Fprintln(stderr, "sohoa: sign the record:", err)
		return exitFailed
	}
	for _, f := range []struct {
		path string
		data []byte
	}{{pdfPath, pdfBytes}, {txtPath, txt.Bytes()}} {
		if err := writeFileAtomic(f.path, f.data); err != nil {
			fmt.Fprintln(stderr, "sohoa:", err)
			return exitFailed
		}
	}
	fmt.Fprintf(stderr, "handover record: %s, %s (%d hồ sơ, %d files, %d bytes; seal %s of %s)\n",
		pdfPath, txtPath, rec.Dossiers, len(rec.Files), rec.TotalBytes, rec.Fingerprint, rec.FingerprintOf)
	fmt.Fprintln(stdout, pdfPath)
	if !v.OK() {
		fmt.Fprintf(stderr, "sohoa: %s: %s (%s): %d problem(s)\n", dir, v.Outcome.Vietnamese(), v.Outcome.English(), len(v.Problems))
		return exitFailed
	}
	return exitOK
}

// writeFileAtomic writes data to a temporary file beside path, then renames it.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// byteBar shows bytes transferred as a bar on a terminal, nothing otherwise.
type byteBar struct {
	w     io.Writer
	title string
	bar   *progressbar.ProgressBar
	on    bool
}

func newByteBar(w io.Writer, title string, quiet bool) *byteBar {
	f, ok := w.(*os.File)
	return &byteBar{w: w, title: title, on: !quiet && ok && term.IsTerminal(int(f.Fd()))}
}

func (b *byteBar) set(done, total int64) {
	if !b.on {
		return
	}
	if b.bar == nil {
		b.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(b.w),
			progressbar.OptionSetDescription(b.title),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(200*time.Millisecond),
		)
	}
	b.bar.Set64(done)
}

func (b *byteBar) finish() {
	if b.bar != nil {
		b.bar.Finish()
		fmt.Fprintln(b.w)
	}
}

func runFixity(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("fixity", "[flags]",
		"Re-reads every package object in the archive (the S3 archive bucket, or the local store given by\n"+
			"--archive-dir), hashes it and compares it with its bag manifests. Prints every altered object\n"+
			"(content differs from the manifest), missing object (in a manifest, not stored) and orphan (stored,\n"+
			"in no manifest), then a summary; saves the result in Redis for 'sohoa status'. Exits 1 when it finds\n"+
			"a problem. Workers also run this check on the schedule fixity.schedule of the configuration.\n"+
			"With copies configured, every copy is read too, and an object altered or missing in one store is\n"+
			"restored from a store where it is intact; the incident goes into the backup log. Exits 1 when an\n"+
			"object has no intact copy left.", stderr)
	config := configFlag(fs)
	archiveDir := fs.String("archive-dir", "", "check the local store at this folder instead of S3")
	save := fs.Bool("save", true, "save the result in Redis, where 'sohoa status' shows it")
	_, cfg, code, ok := parseConfigured(fs, config, args, 0, 0, stderr)
	if !ok {
		return code
	}
	if len(cfg.Copies) > 0 && *archiveDir == "" {
		return runHeal(ctx, cfg, *save, stdout, stderr)
	}
	store, err := archiveStore(ctx, cfg, *archiveDir)
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitUsage
	}
	res, err := fixity.Check(ctx, store, fixity.Options{Logger: newLogger(io.Discard)})
	if err != nil {
		fmt.Fprintln(stderr, "sohoa:", err)
		return exitFailed
	}
	for _, p := range res.Problems {
		fmt.Fprintln(stdout, p)
	}
	fmt.Fprintln(stdout, res.Summary())
	code = exitOK
	if !res.OK() {
		code = exitFailed
	}
	if *save {
		q, err := queue.New(cfg.Redis.URL, queue.Stores{}, queue.Options{})
		if err == nil {
			err = fixity.Save(ctx, q.Redis(), res)
			q.Close()
		}
		if err != nil {
			fmt.Fprintln(stderr, "sohoa: result not saved:", err)
			code = exitFailed
		}
	}
	return code
}
