package cli

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/heraldhq/herald/internal/api"
	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/peer"
	"github.com/heraldhq/herald/internal/refusal"
)

// metricsGate decides who may read /metrics:
//
//   - server.metrics_token_env set: whoever sends its value as a bearer
//     token (any case of "Bearer"), wherever /metrics is served;
//   - otherwise, on a --metrics-listen address: anyone who reaches it (the
//     operator chose who can);
//   - otherwise, on the main address: only requests made on this machine
//     straight to Herald (a loopback connection naming no client in a proxy
//     header), so the page's reverse proxy does not publish it.
type metricsGate struct {
	cfg      func() config.Config
	getenv   func(string) string
	refusals *refusal.Log
	// separate is set on the --metrics-listen server.
	separate bool
}

func (g metricsGate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if name := g.cfg().Server.MetricsTokenEnv; name != "" {
			want := g.getenv(name)
			got := api.BearerToken(r.Header.Get("Authorization"))
			if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
				g.refusals.Note(peer.From(r), "metrics: bad token")
				w.Header().Set("WWW-Authenticate", `Bearer realm="herald-metrics"`)
				http.Error(w, "/metrics needs the token of server.metrics_token_env (Authorization: Bearer TOKEN)", http.StatusUnauthorized)
				return
			}
		} else if !g.separate && !peer.Loopback(r) {
			g.refusals.Note(peer.From(r), "metrics: not from this machine")
			http.Error(w, "/metrics answers only requests made on this machine; set server.metrics_token_env or --metrics-listen to scrape it from elsewhere", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkMetricsToken refuses to start with a metrics token variable that is
// not set: /metrics would refuse everyone without saying why at start.
func checkMetricsToken(cfg config.Config, getenv func(string) string) error {
	if name := cfg.Server.MetricsTokenEnv; name != "" && getenv(name) == "" {
		return fmt.Errorf("environment variable %s (server.metrics_token_env) is not set or empty; it must hold the token /metrics asks for", name)
	}
	return nil
}

// serveMetrics serves /metrics alone on addr, on a listener from listen
// (net.Listen, or the upgrader's, which hands it to the next process).
func serveMetrics(ctx context.Context, addr string, listen func(network, addr string) (net.Listener, error), h http.Handler, log *slog.Logger) (stop func(), err error) {
	ln, err := listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (--metrics-listen): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", slog.Any("err", err))
		}
	}()
	log.Info("metrics are served apart", slog.String("url", "http://"+ln.Addr().String()+"/metrics"))
	return func() {
		shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
		<-done
	}, nil
}
