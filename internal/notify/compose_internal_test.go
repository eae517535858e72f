package notify

import "testing"

// The List-Id and the Message-ID's right side stay valid RFC 5322 / 2919
// whatever the page's title and address are.
func TestListIDAndMessageIDHost(t *testing.T) {
	for _, tc := range []struct {
		name, title, base, listID, idHost string
	}{
		{"plain", "Example Hosting Status", "https://status.example.net", "Example Hosting Status <status.example.net>", "status.example.net"},
		{"specials quoted", `Acme "Status" (EU)`, "https://Status.Example.NET:8443/", `"Acme \"Status\" (EU)" <status.example.net>`, "Status.Example.NET"},
		{"non-ASCII encoded", "Statut hébergeur", "https://statut.example.fr", "=?utf-8?q?Statut_h=C3=A9bergeur?= <statut.example.fr>", "statut.example.fr"},
		{"IPv6 page", "Status", "https://[::1]:8443", "Status <--1.herald.invalid>", "[::1]"},
		{"no URL", "", "", `"" <herald.invalid>`, "herald.invalid"},
		{"header injection", "Status\r\nBcc: x@example.net", "https://status.example.net", `"Status  Bcc: x@example.net" <status.example.net>`, "status.example.net"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := listID(tc.title, tc.base); got != tc.listID {
				t.Errorf("listID(%q, %q) = %q, want %q", tc.title, tc.base, got, tc.listID)
			}
			if got := msgIDHost(tc.base); got != tc.idHost {
				t.Errorf("msgIDHost(%q) = %q, want %q", tc.base, got, tc.idHost)
			}
		})
	}
}
