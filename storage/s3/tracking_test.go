package s3

import (
	"bytes"
	"io"
	"testing"
)

// TestTrackingReaderReadWhileUploading reads the upload's record while the
// body is still being read, as Put does when PutObject returns before the
// HTTP transport has stopped reading (run under -race in make test).
func TestTrackingReaderReadWhileUploading(t *testing.T) {
	const size = 1 << 16
	body := &trackingReader{r: bytes.NewReader(make([]byte, size)), left: size}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1024)
		for {
			if _, err := body.Read(buf); err == io.EOF {
				return
			}
		}
	}()
	for range 100 {
		if n, _, err := body.outcome(); n > size || err != nil {
			t.Fatalf("outcome while reading: %d bytes, %v", n, err)
		}
	}
	<-done
	if n, eof, err := body.outcome(); n != size || !eof || err != nil {
		t.Errorf("outcome = %d, %v, %v; want %d bytes, end, no error", n, eof, err, size)
	}
}
