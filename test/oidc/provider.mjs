// A real OpenID provider for Herald's single sign-on test: panva's
// oidc-provider (OpenID certified), on a loopback port, with one client and
// accounts whose "groups" claim the test chooses. Its development login form
// takes any account name; the test posts it as a browser would.
//
//   node provider.mjs CONFIG.json
//
// CONFIG: {"client_id": "...", "client_secret": "...",
//          "redirect_uris": ["http://127.0.0.1:.../admin/oidc/callback"],
//          "accounts": {"alice": {"groups": ["ops"], "email": "alice@example.test"}}}
// It listens on a port of the kernel's choosing on 127.0.0.1 and prints
// "ready ISSUER" once it does.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const host = '127.0.0.1';
let handle = (req, res) => { res.statusCode = 503; res.end(); };
const server = createServer((req, res) => handle(req, res));
await new Promise((resolve) => server.listen(0, host, resolve));
const issuer = `http://${host}:${server.address().port}`;

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
handle = provider.callback();
console.log(`ready ${issuer}`);
// The test ends this process; it also stops when its standard input closes.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
