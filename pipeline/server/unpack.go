package server

import (
	"archive/tar"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// Bounds of an uploaded entry's name: a batch is a few folders deep
// (BATCH/hồ sơ/document/page), and no file system takes longer names.
const (
	maxNameBytes = 255  // one file or folder name
	maxPathBytes = 1024 // a whole path in the batch
	maxDepth     = 32   // folders in a path
)

// checkName refuses an entry name (cleaned, slash-separated, relative) that
// is too long or too deep, naming it as the client sent it.
func checkName(clean, sent string) error {
	if len(clean) > maxPathBytes {
		return fmt.Errorf("%w: bad file name %s: the path has %d bytes, more than %d", errUpload, display(sent), len(clean), maxPathBytes)
	}
	segs := strings.Split(clean, "/")
	if len(segs) > maxDepth {
		return fmt.Errorf("%w: bad file name %s: %d levels of folders, more than %d", errUpload, display(sent), len(segs)-1, maxDepth)
	}
	for _, seg := range segs {
		if len(seg) > maxNameBytes {
			return fmt.Errorf("%w: bad file name %s: a name of %d bytes, more than %d", errUpload, display(sent), len(seg), maxNameBytes)
		}
	}
	return nil
}

// display quotes an entry name for a message, shortened when it is long.
func display(name string) string {
	const keep = 120
	if len(name) > keep {
		cut := keep
		for cut > 0 && name[cut]&0xc0 == 0x80 { // not inside a UTF-8 sequence
			cut--
		}
		return fmt.Sprintf("%q… (%d bytes)", name[:cut], len(name))
	}
	return fmt.Sprintf("%q", name)
}

// entries tracks the files and folders an upload made, so that a file and a
// folder of one name are refused as the client's mistake.
type entries struct {
	files, dirs map[string]bool
}

func newEntries() *entries { return &entries{files: map[string]bool{}, dirs: map[string]bool{}} }

// add records entry clean (cleaned, slash-separated, relative), a folder when
// dir is set, with its parent folders; sent is the name as the client sent it.
func (e *entries) add(clean, sent string, dir bool) error {
	conflict := func(what string) error {
		return fmt.Errorf("%w: bad file name %s: %s", errUpload, display(sent), what)
	}
	if dir && e.files[clean] || !dir && e.dirs[clean] {
		return conflict("a file and a folder have this name")
	}
	for p := path.Dir(clean); p != "."; p = path.Dir(p) {
		if e.files[p] {
			return conflict(fmt.Sprintf("%q is a file, not a folder", p))
		}
		e.dirs[p] = true
	}
	if dir {
		e.dirs[clean] = true
	} else {
		e.files[clean] = true
	}
	return nil
}

// fsClientError turns a file-system error that only a client's entry can
// cause (a name too long, a file where a folder is needed) into errUpload
// naming the entry; other errors stay as they are.
func fsClientError(err error, sent string) error {
	for _, e := range []syscall.Errno{syscall.ENAMETOOLONG, syscall.ENOTDIR, syscall.EISDIR, syscall.ELOOP} {
		if errors.Is(err, e) {
			return fmt.Errorf("%w: bad file name %s: %v", errUpload, display(sent), e)
		}
	}
	return err
}

// path checks entry name (a folder when dir is set) against root and the
// entries before it and returns where it goes under root.
func (e *entries) path(root, name string, dir bool) (string, error) {
	if dir && path.Clean("/"+strings.ReplaceAll(name, "\\", "/")) == "/" {
		return root, nil // "./" of "tar -cf - ."
	}
	dst, err := localPath(root, name)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(root, dst)
	if err != nil {
		return "", fmt.Errorf("%w: bad file name %s", errUpload, display(name))
	}
	if err := e.add(filepath.ToSlash(rel), name, dir); err != nil {
		return "", err
	}
	return dst, nil
}

// sparse reports whether h is a PAX sparse file, whose few bytes of holes
// would unpack to as many zeros as its header says (a 10 KB upload to 1 GB
// and more on the server's disk). The old GNU sparse type is refused with
// every other type but files and folders.
func sparse(h *tar.Header) bool {
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}
