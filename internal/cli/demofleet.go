package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// simMode is how a simulated service behaves.
type simMode int

const (
	simUp     simMode = iota
	simHang           // accepts connections and never answers, as Apache after a failed graceful reload
	simRefuse         // not listening: connections are refused, as while a server restarts
)

// simService is one simulated service on loopback: a web server or a mail
// server that says its SMTP banner and answers EHLO. Its mode can change at
// any time; in simRefuse its port is closed, and reopened on the same port after.
type simService struct {
	kind string // "web" or "smtp"
	addr string

	mu   sync.Mutex
	mode simMode
	ln   net.Listener
	held []net.Conn
	wg   sync.WaitGroup
}

func startSim(kind string) (*simService, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &simService{kind: kind, addr: ln.Addr().String()}
	s.serve(ln)
	return s, nil
}

func (s *simService) serve(ln net.Listener) {
	s.ln = ln
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			mode := s.mode
			if mode == simHang {
				s.held = append(s.held, c) // answered never; closed when the mode changes
				s.mu.Unlock()
				continue
			}
			s.mu.Unlock()
			go s.answer(c)
		}
	}()
}

func (s *simService) answer(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	if s.kind == "web" {
		req, err := http.ReadRequest(r)
		if err != nil {
			return
		}
		_ = req.Body.Close()
		body := "<!doctype html><title>Welcome</title><p>Welcome to a customer's site.</p>\n"
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
		return
	}
	fmt.Fprintf(c, "220 demo.invalid ESMTP ready\r\n")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		switch {
		case len(line) >= 4 && (line[:4] == "EHLO" || line[:4] == "ehlo"):
			fmt.Fprintf(c, "250-demo.invalid\r\n250 8BITMIME\r\n")
		case len(line) >= 4 && (line[:4] == "QUIT" || line[:4] == "quit"):
			fmt.Fprintf(c, "221 bye\r\n")
			return
		default:
			fmt.Fprintf(c, "502 not in this demo\r\n")
		}
	}
}

// set changes the mode: hanging connections are let go, a refused port is
// closed and opened again on the same address when the service comes back.
func (s *simService) set(mode simMode) error {
	s.mu.Lock()
	prev := s.mode
	s.mode = mode
	for _, c := range s.held {
		c.Close()
	}
	s.held = nil
	ln := s.ln
	s.mu.Unlock()
	switch {
	case mode == simRefuse && prev != simRefuse:
		err := ln.Close()
		s.wg.Wait()
		return err
	case mode != simRefuse && prev == simRefuse:
		// The port was ours a moment ago; take it again, retrying briefly.
		var err error
		for range 50 {
			var nl net.Listener
			if nl, err = net.Listen("tcp", s.addr); err == nil {
				s.mu.Lock()
				s.serve(nl)
				s.mu.Unlock()
				return nil
			}
			time.Sleep(20 * time.Millisecond)
		}
		return fmt.Errorf("reopen %s: %w", s.addr, err)
	}
	return nil
}

func (s *simService) close() {
	s.mu.Lock()
	for _, c := range s.held {
		c.Close()
	}
	s.held = nil
	ln := s.ln
	s.mode = simRefuse
	s.mu.Unlock()
	_ = ln.Close()
	s.wg.Wait()
}

// simFleet is the seed's fleet simulated: a web and a mail server per host.
type simFleet struct {
	hosts []string
	web   map[string]*simService
	mail  map[string]*simService
}

func startFleet(hosts []string) (*simFleet, error) {
	f := &simFleet{hosts: hosts, web: map[string]*simService{}, mail: map[string]*simService{}}
	for _, h := range hosts {
		w, err := startSim("web")
		if err != nil {
			f.close()
			return nil, err
		}
		f.web[h] = w
		m, err := startSim("smtp")
		if err != nil {
			f.close()
			return nil, err
		}
		f.mail[h] = m
	}
	return f, nil
}

func (f *simFleet) close() {
	for _, s := range f.web {
		s.close()
	}
	for _, s := range f.mail {
		s.close()
	}
}

// demoStep is one scripted change, at a time after the demo starts (in the
// demo's clock).
type demoStep struct {
	at   time.Duration
	what string
	do   func(ctx context.Context) error
}

// play runs the steps at their times on a clock speed times faster than the
// wall clock, until they are done or ctx ends.
func play(ctx context.Context, start time.Time, now func() time.Time, speed int, steps []demoStep, logf func(string, ...any)) error {
	for _, st := range steps {
		wait := start.Add(st.at).Sub(now()) / time.Duration(max(speed, 1))
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
		if err := st.do(ctx); err != nil {
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return fmt.Errorf("demo step %q: %w", st.what, err)
		}
		logf("demo: %s", st.what)
	}
	return nil
}
