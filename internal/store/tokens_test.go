package store_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/storetest"
)

func TestTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		writer := &store.Token{Name: "deploy bot", Scope: "write", Hash: "hash-writer", CreatedAt: base}
		reader := &store.Token{Name: "dashboard", Scope: "read", Hash: "hash-reader", CreatedAt: base.Add(time.Minute)}
		for _, tok := range []*store.Token{writer, reader} {
			if err := b.Store.InsertToken(t.Context(), tok); err != nil {
				t.Fatalf("InsertToken %q: %v", tok.Name, err)
			}
			if tok.ID == 0 {
				t.Fatalf("InsertToken %q left the ID zero", tok.Name)
			}
		}
		if err := b.Store.InsertToken(t.Context(), &store.Token{Name: "copy", Scope: "read", Hash: writer.Hash, CreatedAt: base}); err == nil {
			t.Error("a second token with the same hash was stored")
		}

		wantWriter, wantReader := *writer, *reader
		wantWriter.CreatedAt, wantReader.CreatedAt = msUTC(writer.CreatedAt), msUTC(reader.CreatedAt)
		got, err := b.Store.TokenByHash(t.Context(), writer.Hash)
		if err != nil {
			t.Fatalf("TokenByHash: %v", err)
		}
		if !reflect.DeepEqual(*got, wantWriter) {
			t.Errorf("TokenByHash:\n got %+v\nwant %+v", *got, wantWriter)
		}

		used := base.Add(time.Hour)
		if err := b.Store.TouchToken(t.Context(), writer.ID, used); err != nil {
			t.Fatalf("TouchToken: %v", err)
		}
		wantWriter.LastUsedAt = msUTC(used)
		if got, err := b.Store.TokenByHash(t.Context(), writer.Hash); err != nil {
			t.Fatalf("TokenByHash after touching: %v", err)
		} else if !got.LastUsedAt.Equal(wantWriter.LastUsedAt) {
			t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, wantWriter.LastUsedAt)
		}

		revoked := base.Add(2 * time.Hour)
		if err := b.Store.RevokeToken(t.Context(), reader.ID, revoked); err != nil {
			t.Fatalf("RevokeToken: %v", err)
		}
		wantReader.RevokedAt = msUTC(revoked)

		notFound := []struct {
			name string
			err  func() error
		}{
			{"unknown hash", func() error {
				_, err := b.Store.TokenByHash(t.Context(), "hash-nobody")
				return err
			}},
			{"revoked hash", func() error {
				_, err := b.Store.TokenByHash(t.Context(), reader.Hash)
				return err
			}},
			{"revoke twice", func() error { return b.Store.RevokeToken(t.Context(), reader.ID, revoked.Add(time.Hour)) }},
			{"revoke missing", func() error { return b.Store.RevokeToken(t.Context(), reader.ID+1000, revoked) }},
		}
		for _, tc := range notFound {
			t.Run(tc.name, func(t *testing.T) {
				if err := tc.err(); !store.IsNotFound(err) {
					t.Errorf("err = %v, want not found", err)
				}
			})
		}

		list, err := b.Store.Tokens(t.Context())
		if err != nil {
			t.Fatalf("Tokens: %v", err)
		}
		if want := []store.Token{wantWriter, wantReader}; !reflect.DeepEqual(list, want) {
			t.Errorf("Tokens:\n got %+v\nwant %+v", list, want)
		}
	})
}
