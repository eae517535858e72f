package cli

import "net/http"

// routeMux is the server's ServeMux, noting each pattern registered on it:
// Go's mux cannot list them, and the OpenAPI test compares the routes
// served under /api/v1/ with the description (serveOptions.routes).
type routeMux struct {
	*http.ServeMux
	patterns []string
}

func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.HandleFunc(pattern, h)
}
