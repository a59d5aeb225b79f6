package pipeline

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// ErrOutputBusy is returned (wrapped) by LockOutput when another run holds
// the output folder.
var ErrOutputBusy = errors.New("the output folder is in use by another sohoa run")

// LockOutput takes the output folder dir (made if missing) for one run: a
// second run into the same folder, in this process or another, is refused
// with an error wrapping ErrOutputBusy until release is called, so that two
// runs cannot both write, seal and chain packages there. The lock is an
// advisory flock(2) on the folder itself, which leaves no file behind and
// ends with the process.
func LockOutput(dir string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("output %s: %w", dir, err)
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("output %s: %w: wait for it to finish, or write to another folder", dir, ErrOutputBusy)
		}
		return nil, fmt.Errorf("output %s: lock: %w", dir, err)
	}
	return func() { f.Close() }, nil // closing the descriptor releases the lock
}
