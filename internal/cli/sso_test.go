package cli

import (
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/config"
)

func TestCheckOIDCSecret(t *testing.T) {
	Parallel(t)
	cfg := config.Config{Admin: config.AdminSettings{OIDC: &config.OIDC{Issuer: "http://127.0.0.1:5556", ClientID: "herald", ClientSecretEnv: "HERALD_OIDC_SECRET"}}}
	err := checkOIDCSecret(cfg, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "HERALD_OIDC_SECRET (admin.oidc.client_secret_env) is not set") {
		t.Errorf("unset secret: %v", err)
	}
	if err := checkOIDCSecret(cfg, func(k string) string { return map[string]string{"HERALD_OIDC_SECRET": "s"}[k] }); err != nil {
		t.Errorf("set secret: %v", err)
	}
	if err := checkOIDCSecret(config.Config{}, func(string) string { return "" }); err != nil {
		t.Errorf("no single sign-on: %v", err)
	}
}
