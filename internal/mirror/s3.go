package mirror

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3 keeps the copy in S3-compatible storage: s3://bucket/prefix, each file
// an object named prefix/name with its Content-Type and Cache-Control, for
// a CDN or the store's own website hosting to serve. An object is replaced
// whole by a PUT, so a reader never sees half of one. The prefix is the
// copy's: other objects under it are removed.
type S3 struct {
	Bucket, Prefix string
	client         *minio.Client
	endpoint       string

	// mu guards etags: the MD5 of each object as last written or listed,
	// so that an unchanged file is not sent again. nil until first listed.
	mu    sync.Mutex
	etags map[string]string
}

// S3Options say how to reach the store.
type S3Options struct {
	// Endpoint is the store's URL: https://s3.eu-central-1.amazonaws.com,
	// http://127.0.0.1:7070. Empty means Amazon S3 itself.
	Endpoint string
	Region   string // empty: us-east-1
	// Access keys; a session token is optional.
	AccessKey, SecretKey, SessionToken string
}

// uploads is how many objects are sent at once.
const uploads = 8

// NewS3 makes the target for bucket and prefix.
func NewS3(bucket, prefix string, o S3Options) (*S3, error) {
	if bucket == "" {
		return nil, errors.New("mirror: s3 target without a bucket: s3://bucket/prefix")
	}
	endpoint := o.Endpoint
	if endpoint == "" {
		endpoint = "https://s3.amazonaws.com"
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("mirror: S3 endpoint %q is not an http:// or https:// address of a host", endpoint)
	}
	if o.AccessKey == "" || o.SecretKey == "" {
		return nil, errors.New("mirror: s3 target without credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	region := o.Region
	if region == "" {
		region = "us-east-1"
	}
	client, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(o.AccessKey, o.SecretKey, o.SessionToken),
		Secure: u.Scheme == "https", Region: region})
	if err != nil {
		return nil, fmt.Errorf("mirror: S3 client: %w", err)
	}
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	return &S3{Bucket: bucket, Prefix: prefix, client: client, endpoint: u.Host}, nil
}

func (s *S3) String() string { return "s3://" + s.Bucket + "/" + s.Prefix + " at " + s.endpoint }

// Publish sends the files that changed, the front page last, then removes
// the objects under the prefix no longer in the copy.
func (s *S3) Publish(ctx context.Context, files []File) error {
	if err := s.list(ctx); err != nil {
		return err
	}
	var rest, fronts []File
	var index *File
	for i := range files {
		switch {
		case files[i].Name == IndexName:
			index = &files[i]
		case files[i].Front:
			fronts = append(fronts, files[i])
		default:
			rest = append(rest, files[i])
		}
	}
	if err := s.putAll(ctx, rest); err != nil {
		return err
	}
	// The pages of pages:'s front pages, then page:'s.
	if err := s.putAll(ctx, fronts); err != nil {
		return err
	}
	if index != nil {
		if err := s.put(ctx, *index); err != nil {
			return err
		}
	}
	keep := make(map[string]bool, len(files))
	for _, f := range files {
		keep[s.Prefix+f.Name] = true
	}
	s.mu.Lock()
	var gone []string
	for key := range s.etags {
		if !keep[key] {
			gone = append(gone, key)
		}
	}
	s.mu.Unlock()
	for _, key := range gone {
		if err := s.client.RemoveObject(ctx, s.Bucket, key, minio.RemoveObjectOptions{}); err != nil {
			return fmt.Errorf("mirror: remove s3://%s/%s: %w", s.Bucket, key, err)
		}
		s.mu.Lock()
		delete(s.etags, key)
		s.mu.Unlock()
	}
	return nil
}

// list reads the objects under the prefix once, so a restarted Herald
// sends only what changed and removes what it had put there before.
func (s *S3) list(ctx context.Context) error {
	s.mu.Lock()
	known := s.etags != nil
	s.mu.Unlock()
	if known {
		return nil
	}
	etags := map[string]string{}
	for obj := range s.client.ListObjects(ctx, s.Bucket, minio.ListObjectsOptions{Prefix: s.Prefix, Recursive: true}) {
		if obj.Err != nil {
			return fmt.Errorf("mirror: list s3://%s/%s: %w", s.Bucket, s.Prefix, obj.Err)
		}
		etags[obj.Key] = strings.Trim(obj.ETag, `"`)
	}
	s.mu.Lock()
	s.etags = etags
	s.mu.Unlock()
	return nil
}

func (s *S3) putAll(ctx context.Context, files []File) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan File)
	errs := make(chan error, uploads)
	var wg sync.WaitGroup
	for range uploads {
		wg.Go(func() {
			for f := range work {
				if err := s.put(ctx, f); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		})
	}
	go func() {
		defer close(work)
		for _, f := range files {
			select {
			case work <- f:
			case <-ctx.Done():
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

func (s *S3) put(ctx context.Context, f File) error {
	key := s.Prefix + f.Name
	sum := md5.Sum(f.Body)
	etag := hex.EncodeToString(sum[:])
	s.mu.Lock()
	same := s.etags[key] == etag
	s.mu.Unlock()
	if same {
		return nil
	}
	_, err := s.client.PutObject(ctx, s.Bucket, key, bytes.NewReader(f.Body), int64(len(f.Body)),
		minio.PutObjectOptions{ContentType: f.ContentType, CacheControl: f.CacheControl, DisableMultipart: true, SendContentMd5: true})
	if err != nil {
		return fmt.Errorf("mirror: put s3://%s/%s: %w", s.Bucket, key, err)
	}
	s.mu.Lock()
	s.etags[key] = etag
	s.mu.Unlock()
	return nil
}
