package bag

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Kind says what sort of problem a Problem is.
type Kind string

// Kinds of Problem.
const (
	KindStructure  Kind = "structure"  // bagit.txt, a manifest or bag-info.txt is missing or malformed
	KindMissing    Kind = "missing"    // a file listed in a manifest is not there
	KindAltered    Kind = "altered"    // a file's SHA-256 differs from its manifest line
	KindUnlisted   Kind = "unlisted"   // a payload file no manifest lists
	KindUnreadable Kind = "unreadable" // a file cannot be read
	KindOxum       Kind = "oxum"       // Payload-Oxum does not match the payload
)

// Problem is one way in which a bag is not valid.
type Problem struct {
	Path string // the file concerned, relative to the bag root ("" for the bag as a whole)
	What string // what is wrong
	Kind Kind   // what sort of problem it is
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.What
	}
	return p.Path + ": " + p.What
}

// Validate checks the bag at dir: bagit.txt, every line of manifest-sha256.txt
// and tagmanifest-sha256.txt against the files, no payload file missing from the
// manifest, and Payload-Oxum. It returns every problem found (none for a valid bag)
// and an error only when the bag cannot be read at all.
func Validate(dir string) ([]Problem, error) {
	return ValidateContext(context.Background(), dir)
}

// ValidateContext is Validate, stopping with ctx.Err() when ctx is cancelled
// (also in the middle of hashing a file). Anything in the bag that is not a
// regular file or a folder, and any empty folder, is a KindIrregular problem:
// it is never opened or followed.
func ValidateContext(ctx context.Context, dir string) ([]Problem, error) {
	var probs []Problem
	add := func(k Kind, p, format string, args ...any) {
		probs = append(probs, Problem{Path: p, What: fmt.Sprintf(format, args...), Kind: k})
	}

	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("bag %s: %w", dir, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, DeclarationFile)); err != nil {
		add(KindStructure, DeclarationFile, "missing")
	} else if !strings.HasPrefix(string(b), "BagIt-Version: ") {
		add(KindStructure, DeclarationFile, "does not start with BagIt-Version")
	}

	payload, err := readManifest(filepath.Join(dir, ManifestFile))
	if err != nil {
		add(KindStructure, ManifestFile, "%v", err)
	}
	tags, err := readManifest(filepath.Join(dir, TagManifestFile))
	if err != nil {
		add(KindStructure, TagManifestFile, "%v", err)
	}
	var octets, count int64
	for _, m := range []map[string]string{payload, tags} {
		for _, rel := range sortedKeys(m) {
			want := m[rel]
			got, n, err := HashRegular(ctx, filepath.Join(dir, filepath.FromSlash(rel)))
			if ctx.Err() != nil {
				return nil, fmt.Errorf("bag %s: %w", dir, ctx.Err())
			}
			switch {
			case os.IsNotExist(err):
				add(KindMissing, rel, "missing (listed in the manifest)")
			case errors.Is(err, ErrIrregular):
				add(KindIrregular, rel, "%v: a package holds only regular files and folders", err)
			case err != nil:
				add(KindUnreadable, rel, "unreadable: %v", err)
			case got != want:
				add(KindAltered, rel, "checksum mismatch: manifest says %s, file has %s", want, got)
			}
			if err == nil && strings.HasPrefix(rel, PayloadDir+"/") {
				octets += n
				count++
			}
		}
	}
	// Nothing in the bag but regular files and folders, and no empty folder.
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return nil
		}
		switch t := d.Type(); {
		case t.IsDir():
			if ents, err := os.ReadDir(p); err == nil && len(ents) == 0 {
				add(KindIrregular, rel(dir, p)+"/", "an empty folder: a package holds no empty folder (no manifest can list it)")
			}
		case !t.IsRegular():
			if _, listed := payload[rel(dir, p)]; !listed {
				if _, listed = tags[rel(dir, p)]; !listed {
					add(KindIrregular, rel(dir, p), "%s: a package holds only regular files and folders", irregularWhat(t))
				}
			}
		}
		return nil
	})
	// Every file under data/ must be listed.
	root := filepath.Join(dir, PayloadDir)
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				add(KindStructure, PayloadDir+"/", "missing payload directory")
				return filepath.SkipDir
			}
			add(KindUnreadable, rel(dir, p), "unreadable: %v", err)
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() { // irregular entries are reported above
			return nil
		}
		r := rel(dir, p)
		if _, ok := payload[r]; !ok {
			add(KindUnlisted, r, "not listed in "+ManifestFile)
		}
		return nil
	})
	if in, err := ReadInfo(filepath.Join(dir, InfoFile)); err == nil {
		if oxum := in.Get("Payload-Oxum"); oxum != "" && payload != nil {
			o, c, _ := strings.Cut(oxum, ".")
			wo, _ := strconv.ParseInt(o, 10, 64)
			wc, _ := strconv.ParseInt(c, 10, 64)
			if wo != octets || wc != count {
				add(KindOxum, InfoFile, "Payload-Oxum %s does not match the payload (%d.%d)", oxum, octets, count)
			}
		}
	} else if !os.IsNotExist(err) {
		add(KindStructure, InfoFile, "%v", err)
	}
	return probs, nil
}

func rel(dir, p string) string {
	r, _ := filepath.Rel(dir, p)
	return filepath.ToSlash(r)
}

func readManifest(file string) (map[string]string, error) {
	f, err := os.Open(file)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("missing")
		}
		return nil, err
	}
	defer f.Close()
	return ParseManifest(f)
}

// ParseManifest reads a manifest (manifest-sha256.txt or tagmanifest-sha256.txt)
// from r and returns the lower-case hex SHA-256 of every listed path, with the
// paths decoded (relative to the bag root, slash-separated).
func ParseManifest(r io.Reader) (map[string]string, error) {
	m := map[string]string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		sum, p, ok := strings.Cut(sc.Text(), " ")
		p = strings.TrimLeft(p, " *")
		if _, err := hex.DecodeString(sum); !ok || len(sum) != 64 || err != nil || p == "" {
			return m, fmt.Errorf("line %d is not \"<sha256>  <path>\"", n)
		}
		m[decodePath(p)] = strings.ToLower(sum)
	}
	return m, sc.Err()
}

// HashFile returns the hex SHA-256 and the size of the file at p.
func HashFile(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", n, fmt.Errorf("%s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// ReadManifest reads a manifest or tag manifest: file path (slash-separated,
// relative to the bag root) to lower-case hex checksum.
func ReadManifest(file string) (map[string]string, error) {
	m, err := readManifest(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(file), err)
	}
	return m, nil
}
