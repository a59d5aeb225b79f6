// Package bag writes and validates BagIt 1.0 bags (RFC 8493) with SHA-256 manifests.
//
// A Writer builds a bag under a temporary name beside its final place and renames it
// into place only when every file, manifest and tag manifest is written, so a bag
// that exists under its final name is always complete.
package bag

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Version is the BagIt version written to bagit.txt.
const Version = "1.0"

// ErrExists is returned by Create when a bag is already at the target path
// and overwriting was not asked for.
var ErrExists = errors.New("a finished bag is already there")

// Entry is one file of a bag with its digest and size.
type Entry struct {
	Path   string // slash-separated, relative to the bag root, e.g. "data/a/b.pdf"
	SHA256 string // lower-case hex
	Size   int64
}

// Info holds the bag-info.txt fields, in the order they are written.
// Fields with an empty value are left out.
type Info []Field

// Field is one bag-info.txt line.
type Field struct{ Label, Value string }

// Get returns the first value for label, or "".
func (in Info) Get(label string) string {
	for _, f := range in {
		if strings.EqualFold(f.Label, label) {
			return f.Value
		}
	}
	return ""
}

// Writer builds one bag. It is not safe for concurrent use.
type Writer struct {
	final   string
	tmp     string
	noSync  bool                        // CreateOptions.NoSync
	synced  int                         // files fsynced
	link    func(src, dst string) error // os.Link; a test makes it fail
	payload map[string]Entry
	tags    map[string]Entry
	done    bool
}

// CreateOptions controls Create.
type CreateOptions struct {
	// Overwrite replaces a bag already at the target path once the new one is finished.
	Overwrite bool
	// Replaceable, when set, is asked about an existing bag; if it reports true the
	// bag is replaced even without Overwrite (for example an incomplete earlier run).
	Replaceable func(dir string) bool
	// NoSync leaves the bag's files unsynced: they go to the page cache,
	// and a crash of the machine may leave them empty or partial, even in a
	// bag renamed into place. That is safe only for a staging bag: one that
	// is copied elsewhere, where every file is checked against the SHA-256
	// of the bag's manifests, then thrown away, and built again from its
	// sources when anything failed (the queue's package task, whose archive
	// store verifies each object). A bag that is itself the product (sohoa
	// process) is always synced.
	NoSync bool
}

// Create starts a bag that will be at dir when Finish returns. Files are written
// to a hidden sibling directory until then. Without opts.Overwrite, an existing
// bag at dir is an ErrExists error.
func Create(dir string, opts CreateOptions) (*Writer, error) {
	dir = filepath.Clean(dir)
	if _, err := os.Stat(dir); err == nil {
		if !opts.Overwrite && (opts.Replaceable == nil || !opts.Replaceable(dir)) {
			return nil, fmt.Errorf("bag %s: %w (pass --overwrite to replace it)", dir, ErrExists)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("bag %s: %w", dir, err)
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("bag %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".partial-")
	if err != nil {
		return nil, fmt.Errorf("bag %s: %w", dir, err)
	}
	return &Writer{final: dir, tmp: tmp, noSync: opts.NoSync, link: os.Link, payload: map[string]Entry{}, tags: map[string]Entry{}}, nil
}

// Dir returns the temporary directory the bag is being written in.
func (w *Writer) Dir() string { return w.tmp }

// Synced returns how many of the files written so far were fsynced: every
// one, unless the bag was created with CreateOptions.NoSync.
func (w *Writer) Synced() int { return w.synced }

func (w *Writer) sync(f *os.File) error {
	w.synced++
	return f.Sync()
}

// AddPayload copies r to data/name in the bag, hashing it on the way.
// name is slash-separated and relative to data/.
func (w *Writer) AddPayload(name string, r io.Reader) (Entry, error) {
	e, err := w.add(path.Join(PayloadDir, name), r)
	if err != nil {
		return Entry{}, err
	}
	w.payload[e.Path] = e
	return e, nil
}

// AddPayloadFile copies the file at src to data/name.
func (w *Writer) AddPayloadFile(name, src string) (Entry, error) {
	f, err := os.Open(src)
	if err != nil {
		return Entry{}, fmt.Errorf("bag payload %s: %w", name, err)
	}
	defer f.Close()
	return w.AddPayload(name, f)
}

// AddPayloadLink adds the regular file at src as data/name by a hard link
// instead of a copy: its bytes are neither read into the bag nor written
// again. src is neither modified nor removed, but it and the bag's file are
// then one file, so src must not be changed in place while the bag is in use
// (replaced by a rename, it is not), and a change of the bag's file's mode
// (seal.MakeReadOnly) is one of src's. The entry's digest and size are of the
// bytes read from the bag's file once it is linked, whatever src held
// before. When src cannot be linked (on another file system, or one without
// hard links) it is copied as AddPayloadFile does. A symbolic link, FIFO,
// device or socket is refused (an error wrapping ErrIrregular) and nothing
// is added.
func (w *Writer) AddPayloadLink(name, src string) (Entry, error) {
	rel, dst, err := w.create(path.Join(PayloadDir, name))
	if err != nil {
		return Entry{}, err
	}
	if err := w.link(src, dst); err != nil {
		if !linkUnsupported(err) {
			return Entry{}, fmt.Errorf("bag payload %s: %w", name, err)
		}
		f, err := openRegular(src)
		if err != nil {
			return Entry{}, fmt.Errorf("bag payload %s: %s: %w", name, src, err)
		}
		defer f.Close()
		return w.AddPayload(name, f)
	}
	e, err := w.hashLinked(rel, dst)
	if err != nil {
		os.Remove(dst) // the link only: src stays
		return Entry{}, fmt.Errorf("bag payload %s: %w", name, err)
	}
	w.payload[rel] = e
	return e, nil
}

// hashLinked returns the entry of the file linked at dst, as read from
// there, and syncs it unless the bag is not synced.
func (w *Writer) hashLinked(rel, dst string) (Entry, error) {
	f, err := openRegular(dst)
	if err != nil {
		return Entry{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err == nil && !w.noSync {
		err = w.sync(f)
	}
	if err != nil {
		return Entry{}, err
	}
	return Entry{Path: rel, SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}

// linkUnsupported reports whether a hard link failed because the file
// systems do not allow it there, rather than because of the file.
func linkUnsupported(err error) bool {
	return errors.Is(err, syscall.EXDEV) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EMLINK) ||
		errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EOPNOTSUPP)
}

// AddTag copies r to name (relative to the bag root, outside data/), a tag file
// listed in the tag manifest.
func (w *Writer) AddTag(name string, r io.Reader) (Entry, error) {
	if strings.HasPrefix(name, PayloadDir+"/") {
		return Entry{}, fmt.Errorf("bag tag %s: tag files cannot be under data/", name)
	}
	e, err := w.add(name, r)
	if err != nil {
		return Entry{}, err
	}
	w.tags[e.Path] = e
	return e, nil
}

// Remove deletes a payload or tag file written earlier (for example the outputs
// of a document that failed after some of its files were written).
func (w *Writer) Remove(rel string) error {
	rel = path.Clean(rel)
	if err := os.Remove(filepath.Join(w.tmp, filepath.FromSlash(rel))); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("bag remove %s: %w", rel, err)
	}
	delete(w.payload, rel)
	delete(w.tags, rel)
	return nil
}

func (w *Writer) add(rel string, r io.Reader) (Entry, error) {
	rel, dst, err := w.create(rel)
	if err != nil {
		return Entry{}, err
	}
	// A new file (O_EXCL, the old one removed by create): never written
	// through a link to a file outside the bag.
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return Entry{}, fmt.Errorf("bag file %s: %w", rel, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if err == nil && !w.noSync {
		err = w.sync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return Entry{}, fmt.Errorf("bag file %s: %w", rel, err)
	}
	return Entry{Path: rel, SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}, nil
}

// create checks rel, the path of a new file of the bag, makes its folder
// and removes a file written there before (a file added again replaces
// it), and returns rel cleaned and the file's path.
func (w *Writer) create(rel string) (string, string, error) {
	if w.done {
		return "", "", fmt.Errorf("bag %s: already finished", w.final)
	}
	rel = path.Clean(rel)
	if !validRel(rel) {
		return "", "", fmt.Errorf("bag file %q: not a valid relative path", rel)
	}
	dst := filepath.Join(w.tmp, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", "", fmt.Errorf("bag file %s: %w", rel, err)
	}
	if err := os.Remove(dst); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", "", fmt.Errorf("bag file %s: %w", rel, err)
	}
	return rel, dst, nil
}

func validRel(rel string) bool {
	return rel != "." && !strings.HasPrefix(rel, "../") && rel != ".." && !path.IsAbs(rel) && !strings.ContainsAny(rel, "\r\n")
}

// Payload returns the payload entries written so far, sorted by path.
func (w *Writer) Payload() []Entry { return sorted(w.payload) }

// Finish writes bagit.txt, bag-info.txt (adding Bagging-Date when absent and
// Payload-Oxum), manifest-sha256.txt and tagmanifest-sha256.txt, then renames
// the bag into place. It returns the entries of the tag manifest.
func (w *Writer) Finish(info Info) ([]Entry, error) {
	if w.done {
		return nil, fmt.Errorf("bag %s: already finished", w.final)
	}
	payload := sorted(w.payload)
	var octets int64
	for _, e := range payload {
		octets += e.Size
	}
	full := Info{}
	for _, f := range info {
		if f.Value != "" && !strings.EqualFold(f.Label, "Payload-Oxum") {
			full = append(full, f)
		}
	}
	if full.Get("Bagging-Date") == "" {
		full = append(full, Field{"Bagging-Date", time.Now().Format("2006-01-02")})
	}
	full = append(full, Field{"Payload-Oxum", fmt.Sprintf("%d.%d", octets, len(payload))})

	if _, err := w.AddTag(DeclarationFile, strings.NewReader("BagIt-Version: "+Version+"\nTag-File-Character-Encoding: UTF-8\n")); err != nil {
		return nil, err
	}
	if _, err := w.AddTag(InfoFile, strings.NewReader(formatInfo(full))); err != nil {
		return nil, err
	}
	if _, err := w.AddTag(ManifestFile, strings.NewReader(formatManifest(payload))); err != nil {
		return nil, err
	}
	tags := sorted(w.tags)
	if _, err := w.add(TagManifestFile, strings.NewReader(formatManifest(tags))); err != nil {
		return nil, err
	}
	if err := w.commit(); err != nil {
		return nil, err
	}
	w.done = true
	return tags, nil
}

// commit moves the finished temporary bag to its final name. An old bag there
// is first moved aside, then removed once the new one is in place.
func (w *Writer) commit() error {
	var old string
	if _, err := os.Stat(w.final); err == nil {
		old = w.tmp + ".old"
		if err := os.Rename(w.final, old); err != nil {
			return fmt.Errorf("bag %s: move old bag aside: %w", w.final, err)
		}
	}
	if err := os.Rename(w.tmp, w.final); err != nil {
		if old != "" {
			os.Rename(old, w.final)
		}
		return fmt.Errorf("bag %s: %w", w.final, err)
	}
	if old != "" {
		makeWritable(old)
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("bag %s: remove replaced bag: %w", w.final, err)
		}
	}
	return nil
}

// Abort removes the temporary bag. It is safe to call after Finish.
func (w *Writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	return os.RemoveAll(w.tmp)
}

func sorted(m map[string]Entry) []Entry {
	out := make([]Entry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func formatManifest(es []Entry) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "%s  %s\n", e.SHA256, encodePath(e.Path))
	}
	return b.String()
}

// encodePath percent-encodes CR, LF and % in a manifest path (RFC 8493 §2.1.3).
func encodePath(p string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(p)
}

func decodePath(p string) string {
	return strings.NewReplacer("%0D", "\r", "%0d", "\r", "%0A", "\n", "%0a", "\n", "%25", "%").Replace(p)
}

func formatInfo(in Info) string {
	var b strings.Builder
	for _, f := range in {
		v := strings.ReplaceAll(strings.TrimSpace(f.Value), "\n", "\n  ")
		fmt.Fprintf(&b, "%s: %s\n", f.Label, v)
	}
	return b.String()
}

// ReadInfo parses a bag-info.txt file.
func ReadInfo(file string) (Info, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var in Info
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) && len(in) > 0 {
			in[len(in)-1].Value += "\n" + strings.TrimSpace(line)
			continue
		}
		label, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("%s: malformed line %q", file, line)
		}
		in = append(in, Field{strings.TrimSpace(label), strings.TrimSpace(value)})
	}
	return in, sc.Err()
}

// UpdateInfo replaces bag-info.txt of the finished bag at dir with info,
// written as given (Payload-Oxum included), and updates its line in
// tagmanifest-sha256.txt. Both files are replaced atomically.
func UpdateInfo(dir string, info Info) error {
	tags, err := readManifest(filepath.Join(dir, TagManifestFile))
	if err != nil {
		return fmt.Errorf("bag %s: %s: %w", dir, TagManifestFile, err)
	}
	text := formatInfo(info)
	if err := writeAtomic(filepath.Join(dir, InfoFile), []byte(text)); err != nil {
		return fmt.Errorf("bag %s: %w", dir, err)
	}
	sum := sha256.Sum256([]byte(text))
	tags[InfoFile] = hex.EncodeToString(sum[:])
	es := make([]Entry, 0, len(tags))
	for _, p := range sortedKeys(tags) {
		es = append(es, Entry{Path: p, SHA256: tags[p]})
	}
	if err := writeAtomic(filepath.Join(dir, TagManifestFile), []byte(formatManifest(es))); err != nil {
		return fmt.Errorf("bag %s: %w", dir, err)
	}
	return nil
}

// writeAtomic writes b to file through a temporary file renamed into place.
func writeAtomic(file string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".tmp-")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), file)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// makeWritable gives the owner write permission on every folder under dir, so
// that a read-only (sealed) bag can be removed.
func makeWritable(dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
}
