package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// runHealth asks a running Herald's /healthz whether it serves. It is the
// container image's health check: the image holds nothing but Herald, so
// there is no curl or wget to ask with.
func runHealth(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "health", "health [--url http://127.0.0.1:8080/healthz] [--timeout 5s]")
	url := fs.String("url", "http://127.0.0.1:8080/healthz", "the `URL` of Herald's /healthz")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if *timeout <= 0 {
		return usagef("--timeout must be positive, not %s", *timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return usagef("--url %q: %v", *url, err)
	}
	// Never a proxy from the environment: the check is of this Herald.
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("not healthy: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("not healthy: %s answered %s", *url, resp.Status)
	}
	fmt.Fprintf(env.Stdout, "healthy: %s answered %s\n", *url, resp.Status)
	return nil
}
