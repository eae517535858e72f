package admin

import "testing"

// TestSafeNext: a redirect after sign-in stays under /admin, whatever the
// spelling of the way out.
func TestSafeNext(t *testing.T) {
	tests := []struct{ next, want string }{
		{"", "/admin"},
		{"/admin", "/admin"},
		{"/admin/incidents/3", "/admin/incidents/3"},
		{"/admin/audit?subject=incident:1", "/admin/audit?subject=incident:1"},
		{"/admin/./incidents", "/admin/incidents"},
		{"/admin/incidents/../users", "/admin/users"},
		{"/admin/../../evil", "/admin"},
		{"/admin/..", "/admin"},
		{"/admin/../admin2", "/admin"},
		{"/administrator", "/admin"},
		{"/adminevil", "/admin"},
		{"/admin/%2e%2e/evil", "/admin"},
		{"/admin/%2E%2E/%2E%2E/evil", "/admin"},
		{"/admin/..%2f..%2fevil", "/admin"},
		{"/admin%2f..%2f..%2fevil", "/admin"},
		{"/admin/%252e%252e/evil", "/admin"},
		{"%2F%2Fevil.example", "/admin"},
		{"//evil.example", "/admin"},
		{"//evil.example/admin", "/admin"},
		{"///evil.example", "/admin"},
		{"/\\evil.example", "/admin"},
		{"\\\\evil.example", "/admin"},
		{"/admin\\..\\..\\evil", "/admin"},
		{"/admin/%5c..%5cevil", "/admin"},
		{"https://evil.example/admin", "/admin"},
		{"javascript:alert(1)", "/admin"},
		{"http:/admin", "/admin"},
		{"/admin@evil.example", "/admin"},
		{"admin", "/admin"},
		{"/admin/\r\nLocation: //evil", "/admin"},
		{"/admin/%0d%0aSet-Cookie:x", "/admin"},
		{"/admin/\x00", "/admin"},
		{"/admin/login", "/admin"},
		{"/admin/logout", "/admin"},
		{"/admin/login/../logout", "/admin"},
		{"/incidents/1", "/admin"},
	}
	for _, tt := range tests {
		if got := safeNext(tt.next); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.next, got, tt.want)
		}
	}
}
