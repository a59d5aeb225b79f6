// Package s3 implements storage.Store on an S3 bucket (MinIO, or any S3-compatible server), for sohoa's scaled-out
// mode where many workers share one endpoint. It uses github.com/minio/minio-go/v7.
//
// Every object is uploaded in a single PUT (no multipart; objects up to 5 GiB) carrying its SHA-256 twice: as
// x-amz-checksum-sha256, which the server verifies against the bytes it receives before it creates the object, and
// as the user metadata x-amz-meta-sohoa-sha256, which Stat returns. The PUT is conditional (If-None-Match: *), so the
// server refuses to replace an existing object: a Put of the same bytes then succeeds (idempotent), a Put of other
// bytes fails with storage.ErrExists. A Put of a small object (up to 1 MiB) sends its PUT at once; a larger one first
// asks whether the key is taken (HEAD), so that putting it again sends no body. The server's answer to the PUT names
// the checksum it verified, so a new object is not looked at again: it costs one request (a large one two). The body itself is sent unsigned
// (UNSIGNED-PAYLOAD, not hashed again chunk by chunk on both sides): the signed checksum header binds it. Get
// verifies the server's full-object checksum when the stream reaches EOF.
//
// The client makes one attempt per call (minio-go's own retries are turned off) and classifies failures: connection
// errors, timeouts, HTTP 5xx/408/429 and S3 throttling codes satisfy storage.IsTransient. Wrap the Store with
// storage.WithRetry to retry them.
//
// # Locked buckets
//
// With Config.ObjectLock the bucket is created with S3 object lock, which also turns on versioning, and
// PutOptions.Retention becomes a retention (mode and retain-until date) on the object version. The server then
// refuses to delete that version or shorten its retention (COMPLIANCE: nobody can; GOVERNANCE: only with a bypass
// permission, which this package never uses). It does not refuse a PUT to the same key: in S3 that creates a new
// version and hides the locked one from plain GETs. This Store never does that (its PUTs are conditional), but
// other S3 clients can. Callers must therefore treat keys in a locked bucket as write-once names: never reuse a key
// for other content, record the SHA-256 that Put returned, and check it with Stat when reading back. Delete in a
// versioned bucket removes every version of the key, so it fails with storage.ErrLocked while any version is
// retained.
package s3

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/sohoa-vn/sohoa/storage"
)

// Config says which bucket to use and how to reach it.
type Config struct {
	Endpoint  string // host:port, without scheme
	Bucket    string
	AccessKey string
	SecretKey string
	Secure    bool   // HTTPS
	Region    string // empty: ask the server (MinIO's default is us-east-1)
	// ObjectLock creates the bucket, if missing, with object locking (and hence versioning) enabled; it is required
	// for PutOptions.Retention. New fails if the bucket exists without object locking.
	ObjectLock bool
	// Transport sends the client's HTTP requests; nil means minio-go's default transport. Tests set it to count or
	// inspect requests (wrapping minio.DefaultTransport).
	Transport http.RoundTripper
}

// Store is a storage.Store on one S3 bucket. It is safe for concurrent use.
type Store struct {
	client    *minio.Client
	bucket    string
	versioned bool // versioning enabled (always so with object lock): Delete removes versions explicitly
	locked    bool // object lock enabled
}

var _ storage.Store = (*Store)(nil)

// metaSHA256 is the user metadata key holding the hex SHA-256 (sent as x-amz-meta-sohoa-sha256).
const metaSHA256 = "Sohoa-Sha256"

// maxObjectSize is the largest object a single PUT may carry on AWS S3.
const maxObjectSize = 5 << 30

// probeSize is the size above which Put asks whether the key is taken (HEAD)
// before it uploads: below it, sending the bytes of a rare repeated Put costs
// less than a round trip on every Put.
const probeSize = 1 << 20

// New connects to the endpoint in cfg and returns a Store on cfg.Bucket, creating the bucket if it does not exist.
func New(ctx context.Context, cfg Config) (*Store, error) {
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:           credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:          cfg.Secure,
		Region:          cfg.Region,
		Transport:       cfg.Transport,
		TrailingHeaders: true, // needed to send x-amz-checksum-* headers
		MaxRetries:      1,    // retrying is storage.WithRetry's job
	})
	if err != nil {
		return nil, fmt.Errorf("s3 %s: %w", cfg.Endpoint, err)
	}
	s := &Store{client: client, bucket: cfg.Bucket}
	exists, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3 bucket %q at %s: %w", cfg.Bucket, cfg.Endpoint, classify(ctx, err))
	}
	if !exists {
		err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region, ObjectLocking: cfg.ObjectLock})
		if err != nil {
			code := errorResponse(err).Code
			if code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
				return nil, fmt.Errorf("s3 create bucket %q: %w", cfg.Bucket, classify(ctx, err))
			}
			// Created concurrently by another worker.
		}
	}
	lock, _, _, _, err := client.GetObjectLockConfig(ctx, cfg.Bucket)
	switch {
	case err == nil:
		s.locked = lock == "Enabled"
	case errorResponse(err).Code == "ObjectLockConfigurationNotFoundError":
	default:
		return nil, fmt.Errorf("s3 bucket %q: object lock configuration: %w", cfg.Bucket, classify(ctx, err))
	}
	if cfg.ObjectLock && !s.locked {
		return nil, fmt.Errorf("s3 bucket %q exists without object lock, which can only be enabled when a bucket is created", cfg.Bucket)
	}
	vc, err := client.GetBucketVersioning(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3 bucket %q: versioning: %w", cfg.Bucket, classify(ctx, err))
	}
	s.versioned = s.locked || vc.Enabled()
	return s, nil
}

// Client returns the underlying minio-go client, for operations outside storage.Store (tests use it to inspect
// object versions).
func (s *Store) Client() *minio.Client { return s.client }

// Bucket returns the bucket name.
func (s *Store) Bucket() string { return s.bucket }

// Put implements storage.Store. When PutOptions.SHA256 is empty or size is -1, Put first hashes the content: by
// reading r and seeking back if r is an io.ReadSeeker, otherwise by spooling it to a temporary file (memory use
// stays small either way).
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	if err := storage.ValidateKey(key); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("s3 put: %w", err)
	}
	if err := storage.CheckPutOptions(opts, time.Now()); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("s3 put %q: %w", key, err)
	}
	if opts.Retention != nil && !s.locked {
		return storage.ObjectInfo{}, fmt.Errorf("s3 put %q: retention needs a bucket with object lock (Config.ObjectLock)", key)
	}
	if size > maxObjectSize {
		return storage.ObjectInfo{}, fmt.Errorf("s3 put %q: %d bytes is more than a single PUT may carry (%d)", key, size, int64(maxObjectSize))
	}
	sum := strings.ToLower(opts.SHA256)
	if sum == "" || size < 0 {
		var cleanup func()
		var err error
		r, size, sum, cleanup, err = hashContent(ctx, r, size)
		if err != nil {
			return storage.ObjectInfo{}, fmt.Errorf("s3 put %q: %w", key, err)
		}
		defer cleanup()
		if opts.SHA256 != "" && !strings.EqualFold(opts.SHA256, sum) {
			return storage.ObjectInfo{}, fmt.Errorf("s3 put %q: %w: got %s, want %s", key, storage.ErrChecksum, sum, opts.SHA256)
		}
	}

	// A large object already there (a retried or repeated Put) costs a HEAD
	// instead of an upload, unless the caller has just looked (Absent). A small one is sent at once: the PUT is
	// conditional, so an object already there is refused and looked at then,
	// and the usual case, a new key, saves a round trip.
	if size > probeSize && !opts.Absent {
		if info, err := s.Stat(ctx, key); err == nil {
			return sameObject(key, info, size, sum)
		} else if !errors.Is(err, storage.ErrNotExist) {
			return storage.ObjectInfo{}, fmt.Errorf("s3 put: %w", err)
		}
	}

	po, err := putOptions(sum, opts)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("s3 put %q: %w", key, err)
	}
	po.SetMatchETagExcept("*") // If-None-Match: * — never replace an object
	body := &trackingReader{r: r, left: size}
	up, err := s.client.PutObject(ctx, s.bucket, key, body, size, po)
	if err == nil {
		return s.created(ctx, key, size, sum, po, up)
	}
	read, eof, rerr := body.outcome()
	switch {
	case rerr == errTooLong:
		return storage.ObjectInfo{}, fmt.Errorf("s3 put %q: %w (size %d)", key, errTooLong, size)
	case rerr != nil:
		// The caller's reader failed: not a network fault, whatever the HTTP layer made of it.
		return storage.ObjectInfo{}, fmt.Errorf("s3 put %q: reading content after %d bytes: %w", key, read, rerr)
	case read < size && eof:
		return storage.ObjectInfo{}, fmt.Errorf("s3 put %q: read %d bytes, size says %d", key, read, size)
	}
	resp := errorResponse(err)
	switch resp.Code {
	case "PreconditionFailed":
		// The key is taken (by an earlier Put, or by someone between our HEAD and PUT).
		info, serr := s.Stat(ctx, key)
		if serr != nil {
			return storage.ObjectInfo{}, fmt.Errorf("s3 put: %w", serr)
		}
		return sameObject(key, info, size, sum)
	case "XAmzContentChecksumMismatch", "BadDigest", "XAmzContentSHA256Mismatch":
		return storage.ObjectInfo{}, fmt.Errorf("s3 put %q: %w (server says: %w)", key, storage.ErrChecksum, err)
	}
	return storage.ObjectInfo{}, fmt.Errorf("s3 put %q: %w", key, classify(ctx, err))
}

// created returns the info of the object key that a conditional PUT with options po (of size bytes, SHA-256 sum)
// has just created, answered by up. The server verified the body against x-amz-checksum-sha256 before it created
// the object, and If-None-Match made it a new one, so when the answer names the same verified checksum the object is
// what was sent: no HEAD is needed, and ModTime is when the answer arrived (by this machine's clock; Stat and List
// report the server's Last-Modified, to the second). A server that does not name the checksum it verified is asked
// with a HEAD.
func (s *Store) created(ctx context.Context, key string, size int64, sum string, po minio.PutObjectOptions, up minio.UploadInfo) (storage.ObjectInfo, error) {
	if up.ChecksumSHA256 != "" && up.ChecksumSHA256 == po.UserMetadata["x-amz-checksum-sha256"] {
		return storage.ObjectInfo{Key: key, Size: size, SHA256: sum, ModTime: time.Now()}, nil
	}
	info, err := s.Stat(ctx, key)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("s3 put %q: stored, but not found to hold what was sent: %w", key, err)
	}
	return sameObject(key, info, size, sum)
}

// sameObject returns stored if it holds the content put (size and sum), else an ErrExists error.
func sameObject(key string, stored storage.ObjectInfo, size int64, sum string) (storage.ObjectInfo, error) {
	if stored.SHA256 != sum || stored.Size != size {
		return storage.ObjectInfo{}, fmt.Errorf("s3 put %q: %w (stored SHA-256 %s, new %s)", key, storage.ErrExists, stored.SHA256, sum)
	}
	return stored, nil
}

// hashContent returns a reader positioned at the start of the content with its size and SHA-256. size may be -1.
// cleanup releases a temporary file.
func hashContent(ctx context.Context, r io.Reader, size int64) (io.Reader, int64, string, func(), error) {
	h := sha256.New()
	if rs, ok := r.(io.ReadSeeker); ok {
		start, err := rs.Seek(0, io.SeekCurrent)
		if err == nil {
			n, err := io.Copy(h, storage.ContextReader(ctx, rs))
			if err != nil {
				return nil, 0, "", nil, fmt.Errorf("hashing content: %w", err)
			}
			if size >= 0 && n != size {
				return nil, 0, "", nil, fmt.Errorf("read %d bytes, size says %d", n, size)
			}
			if _, err := rs.Seek(start, io.SeekStart); err != nil {
				return nil, 0, "", nil, fmt.Errorf("rewinding content: %w", err)
			}
			return io.LimitReader(rs, n), n, hex.EncodeToString(h.Sum(nil)), func() {}, nil
		}
	}
	f, err := os.CreateTemp("", "sohoa-s3-put-*")
	if err != nil {
		return nil, 0, "", nil, fmt.Errorf("spooling content: %w", err)
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	n, err := io.Copy(io.MultiWriter(f, h), storage.ContextReader(ctx, r))
	if err != nil {
		cleanup()
		return nil, 0, "", nil, fmt.Errorf("spooling content after %d bytes: %w", n, err)
	}
	if size >= 0 && n != size {
		cleanup()
		return nil, 0, "", nil, fmt.Errorf("read %d bytes, size says %d", n, size)
	}
	if n > maxObjectSize {
		cleanup()
		return nil, 0, "", nil, fmt.Errorf("%d bytes is more than a single PUT may carry (%d)", n, int64(maxObjectSize))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return nil, 0, "", nil, fmt.Errorf("spooling content: %w", err)
	}
	return f, n, hex.EncodeToString(h.Sum(nil)), cleanup, nil
}

// trackingReader passes size bytes of the caller's reader to the upload and records what happened: bytes read,
// a read error, a short reader (EOF before size bytes) or a long one (more than size bytes). A long reader makes
// it fail before the last byte is passed on, so that the upload is aborted.
// The HTTP transport may go on reading the body after PutObject has returned
// (http.RoundTripper may close the body in another goroutine), so its record
// is read under mu, through outcome.
type trackingReader struct {
	mu   sync.Mutex
	r    io.Reader
	left int64 // bytes still expected
	n    int64
	eof  bool
	err  error
}

// errTooLong reports a reader with more bytes than the size given to Put.
var errTooLong = errors.New("content is longer than the size given")

// outcome returns the bytes read so far, whether the reader reached its end,
// and the read error, if any.
func (t *trackingReader) outcome() (n int64, eof bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n, t.eof, t.err
}

func (t *trackingReader) Read(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return 0, t.err
	}
	if t.left == 0 {
		t.eof = true
		return 0, io.EOF
	}
	if int64(len(p)) > t.left {
		p = p[:t.left]
	}
	n, err := t.r.Read(p)
	t.n += int64(n)
	t.left -= int64(n)
	switch {
	case err == io.EOF:
		t.eof = true
		return n, err
	case err != nil:
		t.err = err
		return n, err
	}
	if t.left == 0 {
		// Hold back the last bytes until we know the reader ends here.
		var one [1]byte
		for {
			m, err := t.r.Read(one[:])
			if m > 0 {
				t.err = errTooLong
				return 0, t.err
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.err = err
				return 0, err
			}
		}
	}
	return n, nil
}

// Get implements storage.Store. Reading the returned stream to EOF fails if the bytes do not match the checksum the
// server stored at Put.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := storage.ValidateKey(key); err != nil {
		return nil, fmt.Errorf("s3 get: %w", err)
	}
	// One GET, sent here (minio.Client.GetObject would send it lazily and need a HEAD to report a missing key
	// now); with Checksum the body is verified against the server's full-object checksum at EOF.
	body, _, _, err := minio.Core{Client: s.client}.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{Checksum: true})
	if err != nil {
		return nil, fmt.Errorf("s3 get %q: %w", key, s.mapErr(ctx, err))
	}
	return &object{obj: body, ctx: ctx}, nil
}

// object classifies errors met while reading a downloaded object.
type object struct {
	obj io.ReadCloser
	ctx context.Context
}

func (o *object) Read(p []byte) (int, error) {
	n, err := o.obj.Read(p)
	if err != nil && err != io.EOF {
		err = classify(o.ctx, err)
	}
	return n, err
}

func (o *object) Close() error { return o.obj.Close() }

// Stat implements storage.Store.
func (s *Store) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	if err := storage.ValidateKey(key); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("s3 stat: %w", err)
	}
	oi, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{Checksum: true})
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("s3 stat %q: %w", key, s.mapErr(ctx, err))
	}
	info := storage.ObjectInfo{Key: key, Size: oi.Size, ModTime: oi.LastModified}
	for k, v := range oi.UserMetadata {
		if strings.EqualFold(k, metaSHA256) {
			info.SHA256 = strings.ToLower(v)
		}
	}
	if info.SHA256 == "" && oi.ChecksumSHA256 != "" && oi.ChecksumMode != "COMPOSITE" {
		// Put by another client with a full-object SHA-256 but without our metadata.
		if b, err := base64.StdEncoding.DecodeString(oi.ChecksumSHA256); err == nil && len(b) == sha256.Size {
			info.SHA256 = hex.EncodeToString(b)
		}
	}
	if info.SHA256 == "" {
		return storage.ObjectInfo{}, fmt.Errorf("s3 stat %q: object has no SHA-256 (not stored through sohoa)", key)
	}
	return info, nil
}

// List implements storage.Store.
func (s *Store) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	if !storage.ValidPrefix(prefix) {
		return nil // servers reject some of these ("../"), and no key can match them anyway
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops minio-go's listing goroutine when fn fails
	for oi := range s.client.ListObjectsIter(lctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if oi.Err != nil {
			return fmt.Errorf("s3 list %q: %w", prefix, classify(ctx, oi.Err))
		}
		if err := fn(storage.ObjectInfo{Key: oi.Key, Size: oi.Size, ModTime: oi.LastModified}); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// Delete implements storage.Store. In a versioned (or locked) bucket it removes every version of key, so that the
// key is gone rather than hidden behind a delete marker; a retained version makes it fail with storage.ErrLocked.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := storage.ValidateKey(key); err != nil {
		return fmt.Errorf("s3 delete: %w", err)
	}
	if !s.versioned {
		if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
			return fmt.Errorf("s3 delete %q: %w", key, s.mapErr(ctx, err))
		}
		return nil
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var versions []string
	for oi := range s.client.ListObjectsIter(lctx, s.bucket, minio.ListObjectsOptions{Prefix: key, WithVersions: true}) {
		if oi.Err != nil {
			return fmt.Errorf("s3 delete %q: listing versions: %w", key, classify(ctx, oi.Err))
		}
		if oi.Key == key {
			versions = append(versions, oi.VersionID)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3 delete %q: listing versions: %w", key, err) // the listing stopped: not known to be gone
	}
	for _, v := range versions {
		if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{VersionID: v}); err != nil {
			return fmt.Errorf("s3 delete %q version %s: %w", key, v, s.mapErr(ctx, err))
		}
	}
	return nil
}

// mapErr maps S3 error responses to the storage sentinels, then classifies the rest.
func (s *Store) mapErr(ctx context.Context, err error) error {
	resp := errorResponse(err)
	switch {
	case resp.Code == "NoSuchKey" || resp.Code == "NoSuchVersion" ||
		(resp.StatusCode == http.StatusNotFound && resp.Code != "NoSuchBucket"):
		return fmt.Errorf("%w: %w", storage.ErrNotExist, err)
	case s.locked && (resp.Code == "AccessDenied" || strings.Contains(resp.Message, "WORM")):
		// A retained version: S3 answers 403 AccessDenied, MinIO 400 InvalidRequest "Object is WORM protected".
		return fmt.Errorf("%w: %w", storage.ErrLocked, err)
	}
	return classify(ctx, err)
}

// transientCode reports whether an S3 error code names a fault that goes away by itself.
func transientCode(code string) bool {
	switch code {
	case "RequestTimeout", "InternalError", "ServiceUnavailable", "SlowDown", "SlowDownRead", "SlowDownWrite",
		"Throttling", "ThrottlingException", "RequestLimitExceeded", "RequestThrottled", "OperationTimedOut",
		"XMinioServerNotInitialized", "XMinioReadQuorum", "XMinioWriteQuorum":
		return true
	}
	return false
}

// errorResponse returns the S3 error response in err's chain, or the zero value.
func errorResponse(err error) minio.ErrorResponse {
	var resp minio.ErrorResponse
	errors.As(err, &resp)
	return resp
}

// classify marks transient failures: network errors (connection refused or reset, DNS, timeouts, a connection
// closed mid-response), HTTP 5xx, 408 and 429, and throttling codes. Errors after ctx is done are never transient:
// the caller gave up.
func classify(ctx context.Context, err error) error {
	if err == nil || ctx.Err() != nil {
		return err
	}
	resp := errorResponse(err)
	if resp.StatusCode != 0 || resp.Code != "" {
		if transientCode(resp.Code) || resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout ||
			resp.StatusCode == http.StatusTooManyRequests {
			return storage.Transient(err)
		}
		return err
	}
	var ue *url.Error
	var ne net.Error
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	var hn x509.HostnameError
	switch {
	case errors.As(err, &ua), errors.As(err, &ci), errors.As(err, &hn):
		return err // TLS misconfiguration does not heal
	case errors.As(err, &ue), errors.As(err, &ne),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, context.DeadlineExceeded):
		return storage.Transient(err)
	}
	return err
}

// putOptions are the options of a single-part PUT of an object whose hex
// SHA-256 is sum: the checksum the server verifies, the sum kept as metadata,
// and the retention of opts.
func putOptions(sum string, opts storage.PutOptions) (minio.PutObjectOptions, error) {
	raw, err := hex.DecodeString(sum)
	if err != nil {
		return minio.PutObjectOptions{}, err
	}
	po := minio.PutObjectOptions{
		ContentType: opts.ContentType,
		UserMetadata: map[string]string{
			// minio-go sends x-amz-checksum-* user metadata as a header and then adds no checksum of its own; the
			// server computes the SHA-256 of the body and rejects the PUT if it differs.
			"x-amz-checksum-sha256": base64.StdEncoding.EncodeToString(raw),
			metaSHA256:              sum,
		},
		DisableMultipart: true,
		// The payload is not signed chunk by chunk (which hashes it once more
		// on both sides): the signed x-amz-checksum-sha256 header above binds
		// the body, which the server checks against it.
		DisableContentSha256: true,
	}
	if opts.Retention != nil {
		po.Mode = minio.RetentionMode(opts.Retention.Mode)
		po.RetainUntilDate = opts.Retention.Until.UTC()
	}
	return po, nil
}
