package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/store/s3test"
	"github.com/sohoa/sohoa/sync/store/storetest"
)

var (
	weedOnce sync.Once
	weed     *s3test.Server
	weedErr  error
)

// seaweed is one SeaweedFS for the package's tests (started by the first, stopped by TestMain).
func seaweed(t *testing.T) *s3test.Server {
	t.Helper()
	weedOnce.Do(func() { weed, weedErr = s3test.Start(context.Background(), "") })
	if weedErr != nil {
		t.Fatalf("SeaweedFS: %v", weedErr)
	}
	return weed
}

// stopSeaweed is called by TestMain.
func stopSeaweed() {
	if weed != nil {
		weed.Stop()
		os.RemoveAll(weed.Dir)
	}
}

// partSize is the smallest S3 part: the suite's large blobs span several parts.
const partSize = 5 << 20

func newS3(t *testing.T, mod func(*store.S3Config)) *store.S3Blobs {
	t.Helper()
	cfg := seaweed(t).Config()
	cfg.PartSize = partSize
	if mod != nil {
		mod(&cfg)
	}
	b, err := store.NewS3Blobs(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func s3Count(b *store.S3Blobs) func() (int, int, error) {
	return func() (int, int, error) { return b.CountObjects(context.Background()) }
}

// The same blob-store suite as the local folder, on a real S3 implementation.
func TestS3BlobsSuite(t *testing.T) {
	storetest.RunBlobs(t, func(t *testing.T) storetest.Blobs {
		b := newS3(t, nil)
		return storetest.Blobs{Store: b, Count: s3Count(b), Large: partSize}
	})
}

// ... and the encrypting decorator over it.
func TestEncryptedS3BlobsSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("-short (race pass): the sealed suite on S3 runs in the full pass; the plain S3 suite and the sealed local one run here")
	}
	storetest.RunBlobs(t, func(t *testing.T) storetest.Blobs {
		b := newS3(t, nil)
		return storetest.Blobs{Store: store.NewEncryptedBlobs(b, newKeys(t)), Count: s3Count(b), Large: partSize}
	})
}

// With sse=s3 the store is asked to encrypt each object at rest, and reports it did.
func TestS3BlobsSSE(t *testing.T) {
	if testing.Short() {
		t.Skip("-short (race pass): runs in the full pass")
	}
	ctx := context.Background()
	var cfg store.S3Config
	b := newS3(t, func(c *store.S3Config) { c.SSE = "s3"; cfg = *c })
	data := bytes.Repeat([]byte("SSE "), 1000)
	sum := sumHex(data)
	if _, err := b.Put(ctx, sum, bytes.NewReader(data), 1<<20); err != nil {
		t.Fatalf("put with SSE-S3: %v", err)
	}
	c, err := seaweed(t).Client()
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.StatObject(ctx, cfg.Bucket, "blobs/"+sum[:2]+"/"+sum, minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if alg := st.Metadata.Get("X-Amz-Server-Side-Encryption"); alg != "AES256" {
		t.Fatalf("object's server-side encryption: %q, want AES256", alg)
	}
	readBack(t, b, sum, data)
}

func sumHex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func readBack(t *testing.T, s store.BlobStore, sum string, want []byte) {
	t.Helper()
	rc, err := s.Open(context.Background(), sum)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var got bytes.Buffer
	if _, err := got.ReadFrom(rc); err != nil || !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("read back %d bytes (%v)", got.Len(), err)
	}
}

func TestParseS3URL(t *testing.T) {
	dir := t.TempDir()
	cred := filepath.Join(dir, "cred")
	os.WriteFile(cred, []byte("[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n"), 0o600)
	t.Setenv(store.S3CredentialsEnv, "")
	t.Setenv("AWS_ACCESS_KEY_ID", "envAK")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "envSK")
	c, err := store.ParseS3URL("s3://kho/so-hoa?endpoint=127.0.0.1:8333&insecure=1&sse=s3&part_size=8388608")
	if err != nil {
		t.Fatal(err)
	}
	if c.Bucket != "kho" || c.Prefix != "so-hoa/" || c.Endpoint != "127.0.0.1:8333" || c.Secure || c.SSE != "s3" || c.PartSize != 8<<20 || c.AccessKey != "envAK" || c.SecretKey != "envSK" {
		t.Fatalf("parsed %+v", c)
	}
	c, err = store.ParseS3URL("s3://kho?endpoint=s3.example.vn&credentials=" + cred)
	if err != nil || c.AccessKey != "AK" || c.SecretKey != "SK" || !c.Secure || c.Prefix != "" {
		t.Fatalf("credentials file: %+v %v", c, err)
	}
	t.Setenv(store.S3CredentialsEnv, cred)
	if c, err = store.ParseS3URL("s3://kho?endpoint=h:1"); err != nil || c.AccessKey != "AK" {
		t.Fatalf("$%s: %+v %v", store.S3CredentialsEnv, c, err)
	}
	for _, bad := range []string{"s3://AK:SK@kho?endpoint=h:1", "s3://kho", "http://kho?endpoint=h:1"} {
		if _, err := store.ParseS3URL(bad); err == nil {
			t.Fatalf("%s accepted", bad)
		}
	}
	t.Setenv(store.S3CredentialsEnv, "")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	if _, err := store.ParseS3URL("s3://kho?endpoint=h:1"); err == nil || !strings.Contains(err.Error(), "credentials") {
		t.Fatalf("no credentials: %v", err)
	}
}
