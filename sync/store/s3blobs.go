package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/encrypt"

	"github.com/sohoa/sohoa/sync/wire"
)

// S3Blobs is a BlobStore (and an ObjectStore) on an S3-compatible object store: the blob
// <sum> is the object <prefix>blobs/<2 hex>/<sum>. Several servers may share one bucket.
//
// Put streams the body through the SHA-256 check (no temp object, no copy): a body that
// ends within the first part (PartSize) goes up as one PUT of that many bytes, a longer one
// as a multipart upload of PartSize parts. The checking reader answers a mismatch (or an
// oversize, a broken body, a cancelled context) instead of the body's end, so the PUT is
// never sent or the multipart upload is never completed and is aborted: an object appears
// under a blob's name only whole and only with the right bytes (S3 makes an object visible
// only when its PUT or CompleteMultipartUpload succeeds). Put returns once the store
// answered that and a HEAD shows the object at its size. Parts of uploads whose abort
// failed (the server was killed) are removed by NewS3Blobs after StaleTempAge.
type S3Blobs struct {
	c      *minio.Client
	bucket string
	prefix string
	part   int64
	sse    encrypt.ServerSide
}

var (
	_ BlobStore   = (*S3Blobs)(nil)
	_ ObjectStore = (*S3Blobs)(nil)
)

// S3Config says where an S3Blobs keeps its objects.
type S3Config struct {
	Endpoint  string // host:port of the S3 API
	Secure    bool   // HTTPS (default for s3:// URLs; insecure=1 turns it off, for loopback)
	Region    string
	Bucket    string
	Prefix    string // key prefix, "" or ending in "/"
	AccessKey string
	SecretKey string
	Session   string // session token, if any
	// SSE asks the store to encrypt objects at rest: "" none, "s3" (SSE-S3, keys the store
	// manages) or "kms:KEYID" (SSE-KMS). Stores that do not offer it refuse the PUT.
	SSE string
	// PartSize is the multipart part size (default DefaultS3PartSize; at least 5 MiB). A Put
	// of a blob smaller than a part holds the blob in memory; a larger one up to two parts.
	PartSize int64
	// CreateBucket makes the bucket when it does not exist (tests, first start).
	CreateBucket bool
}

// DefaultS3PartSize is the part size of multipart uploads: most pages and records are one PUT.
const DefaultS3PartSize = 16 << 20

// S3CredentialsEnv names a file of S3 credentials (an AWS shared-credentials file, or
// key=value lines: aws_access_key_id, aws_secret_access_key, aws_session_token).
const S3CredentialsEnv = "SOHOA_S3_CREDENTIALS"

// ParseS3URL reads s3://BUCKET[/PREFIX]?endpoint=HOST:PORT[&region=R][&insecure=1][&sse=s3|kms:ID]
// [&part_size=BYTES][&credentials=FILE][&create=1]. Credentials are never in the URL (a
// command line is visible to every local user): from the file named by credentials= or
// $SOHOA_S3_CREDENTIALS, else from $AWS_ACCESS_KEY_ID, $AWS_SECRET_ACCESS_KEY and
// $AWS_SESSION_TOKEN.
func ParseS3URL(raw string) (S3Config, error) {
	var c S3Config
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return c, fmt.Errorf("blob store URL: want s3://BUCKET?endpoint=HOST:PORT")
	}
	if u.User != nil {
		return c, errors.New("blob store URL: put no credentials in the URL; use a credentials file or the environment")
	}
	q := u.Query()
	c.Bucket = u.Host
	c.Prefix = strings.Trim(u.Path, "/")
	if c.Prefix != "" {
		c.Prefix += "/"
	}
	c.Endpoint = q.Get("endpoint")
	if c.Endpoint == "" {
		return c, errors.New("blob store URL: endpoint=HOST:PORT is required")
	}
	c.Secure = !(q.Get("insecure") == "1" || q.Get("insecure") == "true")
	c.Region = q.Get("region")
	c.SSE = q.Get("sse")
	c.CreateBucket = q.Get("create") == "1" || q.Get("create") == "true"
	if ps := q.Get("part_size"); ps != "" {
		if c.PartSize, err = strconv.ParseInt(ps, 10, 64); err != nil {
			return c, fmt.Errorf("blob store URL: part_size: %w", err)
		}
	}
	file := q.Get("credentials")
	if file == "" {
		file = os.Getenv(S3CredentialsEnv)
	}
	if file != "" {
		if err := c.readCredentials(file); err != nil {
			return c, err
		}
	} else {
		c.AccessKey, c.SecretKey, c.Session = os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN")
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		return c, fmt.Errorf("S3 credentials: none found (credentials=FILE, $%s, or $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY)", S3CredentialsEnv)
	}
	return c, nil
}

// readCredentials reads key = value lines (sections such as [default] are ignored: the first
// value of each key counts).
func (c *S3Config) readCredentials(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("S3 credentials: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		set := func(dst *string) {
			if *dst == "" {
				*dst = v
			}
		}
		switch k {
		case "aws_access_key_id", "access_key":
			set(&c.AccessKey)
		case "aws_secret_access_key", "secret_key":
			set(&c.SecretKey)
		case "aws_session_token", "session_token":
			set(&c.Session)
		}
	}
	return sc.Err()
}

// NewS3Blobs connects to the bucket (making it if asked), checks it answers, and removes
// multipart uploads under the prefix left incomplete for longer than StaleTempAge.
func NewS3Blobs(ctx context.Context, cfg S3Config) (*S3Blobs, error) {
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, cfg.Session),
		Secure: cfg.Secure,
		Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("S3 blob store: %w", err)
	}
	b := &S3Blobs{c: c, bucket: cfg.Bucket, prefix: cfg.Prefix, part: cfg.PartSize}
	if b.part == 0 {
		b.part = DefaultS3PartSize
	}
	if b.part < 5<<20 {
		return nil, errors.New("S3 blob store: part_size must be at least 5 MiB")
	}
	switch {
	case cfg.SSE == "":
	case cfg.SSE == "s3":
		b.sse = encrypt.NewSSE()
	case strings.HasPrefix(cfg.SSE, "kms:"):
		if b.sse, err = encrypt.NewSSEKMS(strings.TrimPrefix(cfg.SSE, "kms:"), nil); err != nil {
			return nil, fmt.Errorf("S3 blob store: %w", err)
		}
	default:
		return nil, fmt.Errorf("S3 blob store: sse=%q: want s3 or kms:KEYID", cfg.SSE)
	}
	ok, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("S3 blob store: bucket %s: %w", cfg.Bucket, err)
	}
	if !ok {
		if !cfg.CreateBucket {
			return nil, fmt.Errorf("S3 blob store: bucket %s does not exist", cfg.Bucket)
		}
		if err := c.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region}); err != nil {
			if ok, err2 := c.BucketExists(ctx, cfg.Bucket); err2 != nil || !ok { // another server made it meanwhile?
				return nil, fmt.Errorf("S3 blob store: make bucket %s: %w", cfg.Bucket, err)
			}
		}
	}
	for up := range c.ListIncompleteUploads(ctx, cfg.Bucket, cfg.Prefix+"blobs/", true) {
		if up.Err != nil {
			break // listing is best effort: some stores do not offer it
		}
		if time.Since(up.Initiated) > StaleTempAge {
			c.RemoveIncompleteUpload(ctx, cfg.Bucket, up.Key)
		}
	}
	return b, nil
}

func (b *S3Blobs) key(sum string) (string, error) {
	if _, err := wire.ParseBlobName(sum); err != nil {
		return "", err
	}
	return b.prefix + "blobs/" + sum[:2] + "/" + sum, nil
}

// Put stores a blob whose bytes hash to sum (see S3Blobs).
func (b *S3Blobs) Put(ctx context.Context, sum string, r io.Reader, maxSize int64) (int64, error) {
	return b.put(ctx, sum, r, maxSize, true)
}

// PutObject stores r's bytes under name without a content check (ObjectStore).
func (b *S3Blobs) PutObject(ctx context.Context, name string, r io.Reader, maxSize int64) (int64, error) {
	return b.put(ctx, name, r, maxSize, false)
}

func (b *S3Blobs) put(ctx context.Context, sum string, r io.Reader, maxSize int64, check bool) (int64, error) {
	key, err := b.key(sum)
	if err != nil {
		return 0, err
	}
	var src io.Reader = &sizeCap{r: &ctxReader{ctx: ctx, r: r}, max: maxSize}
	if check {
		src = checkSum(src, sum)
	}
	// Up to one part in memory, grown as it arrives (a small blob costs its own size, not a
	// part's: a server takes many uploads at once).
	first := min(b.part, maxSize+1)
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(src, first))
	if err != nil {
		return 0, putErr(err)
	}
	opts := minio.PutObjectOptions{ContentType: "application/octet-stream", ServerSideEncryption: b.sse}
	var info minio.UploadInfo
	if n < first { // the whole body, checked (the check answers an error instead of its end)
		info, err = b.c.PutObject(ctx, b.bucket, key, bytes.NewReader(buf.Bytes()), n, opts)
	} else { // more than one part: multipart, completed only if the rest checks too
		opts.PartSize = uint64(b.part)
		info, err = b.c.PutObject(ctx, b.bucket, key, io.MultiReader(&buf, src), -1, opts)
	}
	if err != nil {
		return 0, putErr(err)
	}
	st, err := b.c.StatObject(ctx, b.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return 0, fmt.Errorf("S3 blob not visible after its upload: %w", err)
	}
	if st.Size != info.Size {
		return 0, fmt.Errorf("S3 blob stored with %d bytes, %d sent", st.Size, info.Size)
	}
	return info.Size, nil
}

// putErr keeps ErrHashMismatch and ErrTooLarge recognisable through minio's wrapping.
func putErr(err error) error {
	for _, e := range []error{ErrHashMismatch, ErrTooLarge, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, e) || strings.Contains(err.Error(), e.Error()) {
			if errors.Is(err, e) {
				return err
			}
			return fmt.Errorf("%w (%v)", e, err)
		}
	}
	return fmt.Errorf("S3 put: %w", err)
}

func notFound(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.StatusCode == http.StatusNotFound || r.Code == "NoSuchKey"
}

// Has reports whether the blob is stored (HEAD).
func (b *S3Blobs) Has(ctx context.Context, sum string) (bool, error) {
	_, err := b.Size(ctx, sum)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Size returns the stored size (ErrNotFound).
func (b *S3Blobs) Size(ctx context.Context, sum string) (int64, error) {
	key, err := b.key(sum)
	if err != nil {
		return 0, err
	}
	st, err := b.c.StatObject(ctx, b.bucket, key, minio.StatObjectOptions{})
	if notFound(err) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("S3 head: %w", err)
	}
	return st.Size, nil
}

// Open reads a blob (ErrNotFound).
func (b *S3Blobs) Open(ctx context.Context, sum string) (io.ReadCloser, error) {
	key, err := b.key(sum)
	if err != nil {
		return nil, err
	}
	obj, err := b.c.GetObject(ctx, b.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("S3 get: %w", err)
	}
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		if notFound(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("S3 get: %w", err)
	}
	return obj, nil
}

// CountObjects counts the objects under the prefix and the incomplete multipart uploads
// (for tests and health checks: after any failed Put, neither grows).
func (b *S3Blobs) CountObjects(ctx context.Context) (objects, uploads int, err error) {
	for o := range b.c.ListObjects(ctx, b.bucket, minio.ListObjectsOptions{Prefix: b.prefix + "blobs/", Recursive: true}) {
		if o.Err != nil {
			return 0, 0, o.Err
		}
		objects++
	}
	for u := range b.c.ListIncompleteUploads(ctx, b.bucket, b.prefix, true) {
		if u.Err != nil {
			return 0, 0, u.Err
		}
		uploads++
	}
	return objects, uploads, nil
}

var _ FormatMarker = (*S3Blobs)(nil)

// Format reads the object <prefix>FORMAT and says whether any blob is stored.
func (b *S3Blobs) Format(ctx context.Context) (string, bool, error) {
	format := ""
	obj, err := b.c.GetObject(ctx, b.bucket, b.prefix+"FORMAT", minio.GetObjectOptions{})
	if err != nil {
		return "", false, err
	}
	raw, err := io.ReadAll(io.LimitReader(obj, 64))
	obj.Close()
	switch {
	case err == nil:
		format = strings.TrimSpace(string(raw))
	case !notFound(err):
		return "", false, fmt.Errorf("S3 blob store format: %w", err)
	}
	lctx, cancel := context.WithCancel(ctx) // stops the listing after its first object
	defer cancel()
	o, any := <-b.c.ListObjects(lctx, b.bucket, minio.ListObjectsOptions{Prefix: b.prefix + "blobs/", Recursive: true, MaxKeys: 1})
	if any && o.Err != nil {
		return "", false, o.Err
	}
	return format, any, nil
}

// SetFormat writes the object <prefix>FORMAT.
func (b *S3Blobs) SetFormat(ctx context.Context, format string) error {
	body := []byte(format + "\n")
	_, err := b.c.PutObject(ctx, b.bucket, b.prefix+"FORMAT", bytes.NewReader(body), int64(len(body)),
		minio.PutObjectOptions{ContentType: "text/plain", ServerSideEncryption: b.sse})
	return err
}
