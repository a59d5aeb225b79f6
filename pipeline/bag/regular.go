package bag

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// KindIrregular is a Problem about an entry that is neither a regular file
// nor a folder (a symbolic link, FIFO, device or socket), or an empty folder,
// none of which a package may hold: a link may point outside the package or
// at an endless device, and a FIFO blocks whoever reads it.
const KindIrregular Kind = "irregular"

// ErrIrregular is returned (wrapped) by HashRegular for a path that is not a
// regular file.
var ErrIrregular = errors.New("not a regular file")

// irregularWhat says what the mode is, for messages.
func irregularWhat(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file"
}

// HashRegular returns the hex SHA-256 and size of the regular file at p. It
// refuses, without reading them, symbolic links, FIFOs, devices and sockets
// (an error wrapping ErrIrregular), and stops with ctx.Err() when ctx is
// cancelled while it reads.
func HashRegular(ctx context.Context, p string) (string, int64, error) {
	f, err := openRegular(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return "", n, err
		}
		k, err := f.Read(buf)
		h.Write(buf[:k])
		n += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", n, fmt.Errorf("%s: %w", p, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// openRegular opens the regular file at p for reading. It refuses, without
// reading them, symbolic links, FIFOs, devices and sockets (an error
// wrapping ErrIrregular).
func openRegular(p string) (*os.File, error) {
	// O_NOFOLLOW: a symbolic link fails to open; O_NONBLOCK: a FIFO opens
	// without waiting for a writer, and is then refused by its mode.
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%w: a symbolic link", ErrIrregular)
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%w: %s", ErrIrregular, irregularWhat(fi.Mode()))
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
