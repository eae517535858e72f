package notify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/notify"
	"github.com/heraldhq/herald/internal/notify/smtpsink"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, pool
}

func TestSMTPTLSAndAuth(t *testing.T) {
	serverTLS, pool := selfSigned(t)
	for _, tc := range []struct {
		mode     string
		implicit bool
	}{{"starttls", false}, {"tls", true}} {
		t.Run(tc.mode, func(t *testing.T) {
			b := storetest.SQLite(t)
			sink, err := smtpsink.Start(smtpsink.Options{TLS: serverTLS, ImplicitTLS: tc.implicit, Username: "herald", Password: "s3cret"})
			if err != nil {
				t.Fatal(err)
			}
			defer sink.Close()
			t.Setenv("HERALD_TEST_SMTP_PASSWORD", "s3cret")
			clock := &fakeClock{now: t0}
			svc := service.New(b.Store, clock, nil)
			cfg := config.Config{Page: config.Page{Title: "Status", URL: pageURL},
				Notify: config.Notify{Email: &config.Email{SMTP: sink.Addr, From: "status@example.net", TLS: tc.mode,
					Username: "herald", PasswordEnv: "HERALD_TEST_SMTP_PASSWORD", RatePerSecond: 1000}}}
			n, remove, err := notify.New(t.Context(), b.Store, svc, func() config.Config { return cfg }, nil,
				notify.Options{Clock: clock, SMTPTLS: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}})
			if err != nil {
				t.Fatal(err)
			}
			defer remove()
			if _, err := b.Store.InsertConfirmedEmails(t.Context(), []string{"ann@example.net", "bob@example.net"}, nil, t0); err != nil {
				t.Fatal(err)
			}
			if err := svc.SyncCatalog(t.Context(), []store.Group{{ID: "flexo", Name: "flexo"}},
				[]store.Component{{ID: "flexo/web", GroupID: "flexo", Name: "Web sites"}}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.ScheduleMaintenance(t.Context(), "test", service.NewMaintenance{Title: "Disk swap", Body: "x",
				Components: []string{"flexo/web"}, Start: t0.Add(48 * time.Hour), End: t0.Add(49 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if k, err := n.ProcessBatch(t.Context(), nil); err != nil || k != 2 {
				t.Fatalf("ProcessBatch = %d, %v", k, err)
			}
			// The sink takes AUTH only over TLS, so two messages prove both.
			if got := sink.Count(); got != 2 {
				dead, _ := b.Store.Deliveries(t.Context(), store.DeliveryFilter{})
				t.Fatalf("the sink got %d messages over %s with auth; deliveries: %+v", got, tc.mode, dead)
			}

			// A wrong password is refused by the relay, and the delivery waits for a retry.
			t.Setenv("HERALD_TEST_SMTP_PASSWORD", "wrong")
			if _, err := svc.PostMaintenanceUpdate(t.Context(), "test", 1, "Moved by a day."); err != nil {
				t.Fatal(err)
			}
			if _, err := n.ProcessBatch(t.Context(), nil); err != nil {
				t.Fatal(err)
			}
			queued, err := b.Store.Deliveries(t.Context(), store.DeliveryFilter{State: store.DeliveryQueued})
			if err != nil || len(queued) != 2 || !strings.Contains(strings.ToLower(queued[0].LastError), "auth") {
				t.Errorf("with a wrong password: queued %+v, %v", queued, err)
			}
		})
	}
}
