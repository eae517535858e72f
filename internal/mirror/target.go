package mirror

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
)

// Options are what a target spec does not say: the SSH key and known hosts
// for rsync://, the endpoint and credentials for s3://, and the folder
// where rsync's copy is staged.
type Options struct {
	SSHKey, KnownHosts string
	// Stage is the local folder an rsync target's copy is written to first.
	Stage string
	S3    S3Options
}

// Parse reads a target spec:
//
//	/var/www/status                       a local folder (also ./status, status)
//	rsync://user@host:2222/var/www/status a folder on another host, by rsync over SSH
//	s3://bucket/prefix                    S3-compatible storage (Options.S3)
func Parse(spec string, o Options) (Target, error) {
	scheme, rest, found := strings.Cut(spec, "://")
	if !found {
		if spec == "" {
			return nil, fmt.Errorf("mirror: no target given")
		}
		return Dir{Root: filepath.Clean(spec)}, nil
	}
	switch scheme {
	case "rsync":
		return parseRsync(spec, o)
	case "s3":
		bucket, prefix, _ := strings.Cut(rest, "/")
		return NewS3(bucket, prefix, o.S3)
	case "file":
		u, err := url.Parse(spec)
		if err != nil || u.Host != "" || u.Path == "" {
			return nil, fmt.Errorf("mirror: %q: a file:// target is file:///absolute/folder", spec)
		}
		return Dir{Root: filepath.Clean(u.Path)}, nil
	}
	return nil, fmt.Errorf("mirror: target %q: not a folder, rsync://user@host[:port]/path or s3://bucket/prefix", spec)
}

func parseRsync(spec string, o Options) (*Rsync, error) {
	u, err := url.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("mirror: target %q: %w", spec, err)
	}
	if u.Hostname() == "" || u.Path == "" || u.Path == "/" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("mirror: target %q: want rsync://[user@]host[:port]/path/to/folder", spec)
	}
	if _, set := u.User.Password(); set {
		return nil, fmt.Errorf("mirror: target %q: no passwords in the address; give an SSH key (--mirror-ssh-key)", spec)
	}
	r := &Rsync{User: u.User.Username(), Host: u.Hostname(), Path: u.Path, Key: o.SSHKey, KnownHosts: o.KnownHosts, Stage: o.Stage}
	if p := u.Port(); p != "" {
		if r.Port, err = strconv.Atoi(p); err != nil || r.Port < 1 || r.Port > 65535 {
			return nil, fmt.Errorf("mirror: target %q: bad port %q", spec, p)
		}
	}
	// rsync splits its remote shell command at spaces, and a leading dash
	// would be read as an option.
	for what, v := range map[string]string{"user": r.User, "host": r.Host, "path": r.Path, "SSH key": r.Key, "known hosts file": r.KnownHosts} {
		if strings.ContainsAny(v, " \t\n'\"\\") || strings.HasPrefix(v, "-") {
			return nil, fmt.Errorf("mirror: target %q: the %s %q has spaces, quotes or a leading dash", spec, what, v)
		}
	}
	if r.Stage == "" {
		return nil, fmt.Errorf("mirror: target %q: no staging folder", spec)
	}
	return r, nil
}
