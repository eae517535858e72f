// Package customers answers "which server is my site on?": it imports the
// provider's customer list (domain, group) and looks up one exact domain at a
// time, folding subdomains and "www.", never listing or enumerating anything.
package customers

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/idna"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
)

// ErrUnknown is returned for a domain that is not a known customer.
var ErrUnknown = errors.New("unknown domain")

var profile = idna.New(idna.MapForLookup(), idna.Transitional(false), idna.StrictDomainName(true), idna.VerifyDNSLength(true))

// Normalize turns what someone typed ("https://WWW.Example.com/shop", "example.com.")
// into the domain looked up: lower case, ASCII (IDNA), no scheme, path, port,
// trailing dot or leading "www.".
func Normalize(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("enter a domain, like example.com")
	}
	if len(s) > 300 {
		return "", fmt.Errorf("that is too long to be a domain")
	}
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("%q is not a domain", s)
		}
		s = u.Host
	} else if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		s = s[at+1:] // an e-mail address: its domain
	}
	if h, _, err := net.SplitHostPort(s); err == nil {
		s = h
	}
	s = strings.TrimSuffix(s, ".")
	d, err := profile.ToASCII(s)
	if err != nil || !strings.Contains(d, ".") || net.ParseIP(d) != nil {
		return "", fmt.Errorf("%q is not a domain name (like example.com)", s)
	}
	d = strings.ToLower(d)
	for strings.HasPrefix(d, "www.") && strings.Count(d, ".") > 1 {
		d = strings.TrimPrefix(d, "www.")
	}
	return d, nil
}

// candidates are the domain and its parents, most specific first, down to
// two labels: shop.example.com → shop.example.com, example.com.
func candidates(d string) []string {
	out := []string{d}
	for strings.Count(d, ".") > 1 {
		d = d[strings.IndexByte(d, '.')+1:]
		out = append(out, d)
	}
	return out
}

// Directory looks customers up and imports them. Its changes go through the
// service, so each lands in the change log with who made it.
type Directory struct {
	st  *store.Store
	svc *service.Service
}

// New makes a directory over a store, changed through svc.
func New(st *store.Store, svc *service.Service) *Directory { return &Directory{st: st, svc: svc} }

// Lookup finds the customer a typed domain belongs to; ErrUnknown if none.
func (d *Directory) Lookup(ctx context.Context, input string) (*store.Customer, error) {
	dom, err := Normalize(input)
	if err != nil {
		return nil, &service.InvalidError{Msg: err.Error()}
	}
	c, err := d.st.FirstCustomer(ctx, candidates(dom))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnknown
	}
	return c, err
}

// LineError is a bad line of an import.
type LineError struct {
	Line int
	Msg  string
}

func (e LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// ImportError lists the bad lines of a refused import (the first few).
type ImportError struct {
	Lines []LineError
	More  int // bad lines beyond those listed
}

// ClientStatus makes a refused import a client mistake (service.Safe):
// 422, told with its lines.
func (e *ImportError) ClientStatus() int { return http.StatusUnprocessableEntity }

func (e *ImportError) Error() string {
	var b strings.Builder
	b.WriteString("nothing was imported; fix these lines and run it again:")
	for _, l := range e.Lines {
		b.WriteString("\n  " + l.Error())
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "\n  ... and %d more", e.More)
	}
	return b.String()
}

// Result tells what an import did.
type Result struct {
	Rows    int // data rows read
	Domains int // distinct domains stored
}

// ImportOptions tune an import.
type ImportOptions struct {
	// Groups are the known group ids; a row naming another is an error.
	Groups map[string]bool
	// Progress, when set, is called now and then with the rows read so far.
	Progress func(rows int)
	Now      time.Time
}

const (
	maxBadLines = 10
	batchRows   = 5000
)

// Import reads CSV rows "domain,group" (a header row "domain,group" is
// skipped) and stores them in one transaction: all of it or, when any line
// is bad, none of it. Running it again with the same file changes nothing;
// a domain's group is replaced by the file's. The change log records the
// import, by actor, with its counts: never the list, which is not shown to
// anyone.
func (d *Directory) Import(ctx context.Context, actor string, r io.Reader, o ImportOptions) (Result, error) {
	var res Result
	if o.Now.IsZero() {
		o.Now = time.Now().UTC()
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	bad := &ImportError{}
	seen := make(map[string]struct{}, 1<<16)
	err := d.svc.Apply(ctx, actor, "customers.import", func(q *store.Queries) (service.Changed, error) {
		ch := service.Changed{Subject: "customers"}
		batch := make([]store.Customer, 0, batchRows)
		flush := func() error {
			if len(batch) == 0 || len(bad.Lines) > 0 {
				batch = batch[:0]
				return nil
			}
			err := q.UpsertCustomers(ctx, batch)
			batch = batch[:0]
			return err
		}
		for line := 1; ; line++ {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					return ch, &ImportError{Lines: append(bad.Lines, LineError{pe.Line, pe.Err.Error()})}
				}
				return ch, err
			}
			if line == 1 && len(rec) >= 2 && strings.EqualFold(strings.TrimSpace(rec[0]), "domain") {
				continue
			}
			res.Rows++
			c, msg := parseRow(rec, o.Groups)
			if msg != "" {
				if len(bad.Lines) < maxBadLines {
					bad.Lines = append(bad.Lines, LineError{line, msg})
				} else {
					bad.More++
				}
				continue
			}
			c.UpdatedAt = o.Now
			if _, dup := seen[c.Domain]; !dup {
				seen[c.Domain] = struct{}{}
			}
			batch = append(batch, c)
			if len(batch) == batchRows {
				if err := flush(); err != nil {
					return ch, err
				}
				if o.Progress != nil {
					o.Progress(res.Rows)
				}
			}
		}
		if err := flush(); err != nil {
			return ch, err
		}
		if len(bad.Lines) > 0 {
			return ch, bad
		}
		ch.After = importLog{Rows: res.Rows, Domains: len(seen)}
		return ch, nil
	})
	if o.Progress != nil {
		o.Progress(res.Rows)
	}
	res.Domains = len(seen)
	return res, err
}

// importLog is what the change log keeps of an import: its counts.
type importLog struct {
	Rows    int `json:"rows"`
	Domains int `json:"domains"`
}

// Delete removes one customer by domain (as typed; normalized here).
func (d *Directory) Delete(ctx context.Context, actor, input string) error {
	dom, err := Normalize(input)
	if err != nil {
		return &service.InvalidError{Msg: err.Error()}
	}
	return d.svc.Apply(ctx, actor, "customer.delete", func(q *store.Queries) (service.Changed, error) {
		c := service.Changed{Subject: "customer:" + dom}
		err := q.DeleteCustomer(ctx, dom)
		if errors.Is(err, store.ErrNotFound) {
			return c, &service.NotFoundError{Msg: "no customer with this domain"}
		}
		return c, err
	})
}

func parseRow(rec []string, groups map[string]bool) (store.Customer, string) {
	if len(rec) != 2 {
		return store.Customer{}, fmt.Sprintf("want 2 fields (domain,group), got %d", len(rec))
	}
	dom, err := Normalize(rec[0])
	if err != nil {
		return store.Customer{}, err.Error()
	}
	g := strings.TrimSpace(rec[1])
	if g == "" {
		return store.Customer{}, "the group is empty"
	}
	if groups != nil && !groups[g] {
		return store.Customer{}, fmt.Sprintf("unknown group %q (the groups are the servers in the configuration)", g)
	}
	return store.Customer{Domain: dom, GroupID: g}, ""
}
