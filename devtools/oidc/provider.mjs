// The demo's and the tests' OpenID Connect provider: panva's oidc-provider
// (OpenID Certified), configured from one JSON file so Python can start it.
//
//   node devtools/oidc/provider.mjs CONFIG.json
//
// CONFIG: {issuer, port, clients: [...oidc-provider client metadata],
//          users: {name: {claims}}, jwks: {keys: [private JWKs]},
//          idTokenSeconds?, claimsInIdToken? (default true)}
// Sign-in uses oidc-provider's own development pages: any password is
// accepted for a user the file lists. Consent is given by the admin for the
// broker (a first-party client), as enterprise IdPs do. Prints "ready" once
// it listens; SIGTERM stops it.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const users = config.users;
const idTokenSeconds = config.idTokenSeconds ?? 3600;

async function findAccount(ctx, id) {
  const user = users[id];
  if (!user) return undefined;
  return {
    accountId: id,
    async claims() {
      return { sub: id, preferred_username: id, ...user };
    },
  };
}

async function loadExistingGrant(ctx) {
  // Admin consent for every configured client: no consent page.
  const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
  if (grantId) return ctx.oidc.provider.Grant.find(grantId);
  const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
  grant.addOIDCScope('openid profile email offline_access');
  grant.addOIDCClaims(['groups', 'email', 'email_verified', 'name', 'preferred_username']);
  await grant.save();
  return grant;
}

const provider = new Provider(config.issuer, {
  clients: config.clients,
  jwks: config.jwks,
  findAccount,
  loadExistingGrant,
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username', 'groups'],
    email: ['email', 'email_verified'],
  },
  conformIdTokenClaims: config.claimsInIdToken === false,
  cookies: { keys: [config.cookieKey || 'demo-cookie-key-not-secret'] },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  ttl: { IdToken: idTokenSeconds, AccessToken: idTokenSeconds, Interaction: 600, Session: 3600 },
});
provider.proxy = false;

const server = provider.listen(config.port, '127.0.0.1', () => {
  console.log('ready');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
