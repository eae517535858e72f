// A real OpenID provider for Herald's single sign-on test: panva's
// oidc-provider (OpenID certified), on a loopback port, with one client and
// accounts whose "groups" claim the test chooses. Its development login form
// takes any account name; the test posts it as a browser would.
//
//   node provider.mjs CONFIG.json
//
// CONFIG: {"port": 8xxx, "client_id": "...", "client_secret": "...",
//          "redirect_uris": ["http://127.0.0.1:.../admin/oidc/callback"],
//          "accounts": {"alice": {"groups": ["ops"], "email": "alice@example.test"}}}
// It prints "ready ISSUER" once it listens.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const host = '127.0.0.1';
const issuer = `http://${host}:${cfg.port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: cfg.client_id,
    client_secret: cfg.client_secret,
    redirect_uris: cfg.redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['preferred_username', 'name'],
    groups: ['groups'],
  },
  scopes: ['openid', 'email', 'profile', 'groups'],
  // The claims go into the ID token itself, where Herald reads them.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  cookies: { keys: ['herald-test-only-cookie-key'] },
  async findAccount(ctx, id) {
    const a = cfg.accounts[id];
    if (!a) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id, preferred_username: id, name: id,
          email: a.email || `${id}@example.test`, email_verified: true,
          groups: a.groups || [],
        };
      },
    };
  },
});
// Plain http on loopback: the provider would otherwise insist on https for web clients' redirects.
provider.proxy = false;

provider.listen(cfg.port, host, () => {
  console.log(`ready ${issuer}`);
});
