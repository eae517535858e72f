package cli

import (
	"fmt"

	"github.com/heraldhq/herald/internal/config"
)

// checkOIDCSecret refuses a single sign-on whose client secret variable is
// not set: every sign-in through the provider would fail at its last step.
func checkOIDCSecret(cfg config.Config, getenv func(string) string) error {
	if o := cfg.Admin.OIDC; o != nil && getenv(o.ClientSecretEnv) == "" {
		return fmt.Errorf("environment variable %s (admin.oidc.client_secret_env) is not set or empty; it must hold the client secret of %s at %s", o.ClientSecretEnv, o.ClientID, o.Issuer)
	}
	return nil
}
