package customers_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/customers"
	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/store/storetest"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"example.com", "example.com"},
		{"  WWW.Example.COM.  ", "example.com"},
		{"https://www.example.com:8443/shop?x=1", "example.com"},
		{"example.com/path", "example.com"},
		{"ann@Example.com", "example.com"},
		{"www.www.example.com", "example.com"},
		{"www.com", "www.com"},
		{"bücher.example", "xn--bcher-kva.example"},
		{"shop.example.co.uk", "shop.example.co.uk"},
	}
	for _, tt := range tests {
		got, err := customers.Normalize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "localhost", "127.0.0.1", "exa mple.com", "-x-.com", "a..b", strings.Repeat("a", 70) + ".com", "<script>.com"} {
		if got, err := customers.Normalize(bad); err == nil {
			t.Errorf("Normalize(%q) = %q, want an error", bad, got)
		}
	}
}

func TestImportAndLookup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		svc := service.New(b.Store, nil, nil)
		d := customers.New(b.Store, svc)
		groups := map[string]bool{"flexo": true, "mom": true}
		var csv strings.Builder
		csv.WriteString("domain,group\n")
		for i := range 12000 {
			fmt.Fprintf(&csv, "site%d.example,flexo\n", i)
		}
		csv.WriteString("www.Shop.Example,mom\n")
		var progress []int
		res, err := d.Import(ctx, "cli", strings.NewReader(csv.String()), customers.ImportOptions{Groups: groups,
			Progress: func(n int) { progress = append(progress, n) }, Now: time.Unix(1e9, 0)})
		if err != nil {
			t.Fatal(err)
		}
		if res.Rows != 12001 || res.Domains != 12001 {
			t.Errorf("Import = %+v", res)
		}
		if len(progress) < 3 || progress[len(progress)-1] != 12001 {
			t.Errorf("progress calls = %v", progress)
		}
		// Idempotent: the same file again changes nothing.
		if _, err := d.Import(ctx, "token:3 (panel sync)", strings.NewReader(csv.String()), customers.ImportOptions{Groups: groups}); err != nil {
			t.Fatal(err)
		}
		if n, err := b.Store.CountCustomers(ctx); err != nil || n != 12001 {
			t.Errorf("after importing twice: %d customers, %v", n, err)
		}
		for _, q := range []string{"shop.example", "www.shop.example", "blog.shop.example", "https://SHOP.example/cart"} {
			c, err := d.Lookup(ctx, q)
			if err != nil || c.Domain != "shop.example" || c.GroupID != "mom" {
				t.Errorf("Lookup(%q) = %+v, %v", q, c, err)
			}
		}
		for _, q := range []string{"example", "other.example", "site1.example.evil", "ite1.example"} {
			if c, err := d.Lookup(ctx, q); err == nil {
				t.Errorf("Lookup(%q) found %+v", q, c)
			}
		}
		if _, err := d.Lookup(ctx, "nope.example"); !errors.Is(err, customers.ErrUnknown) {
			t.Errorf("unknown domain: %v", err)
		}

		// A file with bad lines stores nothing and names each line.
		badCSV := "site1.example,mom\nnot a domain,flexo\nok.example,zapp\nthree,fields,here\n"
		_, err = d.Import(ctx, "cli", strings.NewReader(badCSV), customers.ImportOptions{Groups: groups})
		var ie *customers.ImportError
		if !errors.As(err, &ie) || len(ie.Lines) != 3 || ie.Lines[0].Line != 2 || ie.Lines[1].Line != 3 || ie.Lines[2].Line != 4 ||
			!strings.Contains(ie.Lines[1].Msg, `unknown group "zapp"`) {
			t.Fatalf("bad import: %v", err)
		}
		if c, err := d.Lookup(ctx, "site1.example"); err != nil || c.GroupID != "flexo" {
			t.Errorf("a refused import changed site1.example: %+v, %v", c, err)
		}

		// Each import that stored something is in the change log, by who
		// ran it, with its counts and never the list; the refused one is not.
		changes, err := svc.Changes(ctx, "customers", 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range changes {
			got = append(got, c.Actor+" "+c.Action+" "+c.After)
		}
		want := []string{`token:3 (panel sync) customers.import {"rows":12001,"domains":12001}`, `cli customers.import {"rows":12001,"domains":12001}`}
		if !slices.Equal(got, want) {
			t.Errorf("change log = %q, want %q", got, want)
		}

		// Deleting one customer is recorded too.
		if err := d.Delete(ctx, "token:3 (panel sync)", "WWW.shop.example"); err != nil {
			t.Fatal(err)
		}
		if err := d.Delete(ctx, "cli", "shop.example"); err == nil {
			t.Error("deleting a customer twice succeeded")
		}
		changes, err = svc.Changes(ctx, "customer:shop.example", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) != 1 || changes[0].Actor != "token:3 (panel sync)" || changes[0].Action != "customer.delete" {
			t.Errorf("change log for the deleted customer = %+v", changes)
		}
	})
}
