import { invalid } from '../../core/errors.js';
import { ROLES, type Role } from './types.js';

/** Single sign-on settings (OPENEXPERT_OIDC_*); present only when an issuer and a client id are configured. */
export interface OidcSettings {
  readonly issuer: string;
  readonly clientId: string;
  /** Confidential client (client_secret_basic); without it the server is a public client and relies on PKCE alone. */
  readonly clientSecret?: string | undefined;
  readonly scopes: string;
  /** The claim a new user's name comes from (then `email`, then `sub`). */
  readonly usernameClaim: string;
  /** The claim holding the user's groups at the provider: a list of names (or one name). */
  readonly groupsClaim: string;
  /** Provider group → OpenExpert group; only mapped groups are synced. */
  readonly groupMap: ReadonlyMap<string, string>;
  readonly defaultRole: Role;
  /** Where the provider sends the browser back; by default derived from the request (scheme and host). */
  readonly redirectUrl?: string | undefined;
}

const GROUP_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** `a=b,c=d` into a map, refusing OpenExpert group names the server would refuse. */
export function parseGroupMap(text: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of (text ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const eq = pair.lastIndexOf('=');
    const from = pair.slice(0, eq).trim();
    const to = pair.slice(eq + 1).trim();
    if (eq <= 0 || !GROUP_NAME.test(to)) throw invalid(`Invalid value for 'oidcGroupMap': '${pair}' is not provider-group=openexpert-group (letters, digits or _ . - on the right)`);
    map.set(from, to);
  }
  return map;
}

export function checkOidcSettings(s: OidcSettings): void {
  let url: URL;
  try {
    url = new URL(s.issuer);
  } catch {
    throw invalid(`Invalid value for 'oidcIssuer': '${s.issuer}' is not a URL`);
  }
  // Tokens and the client secret cross this connection: plain HTTP only to a provider on this machine.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) throw invalid("Invalid value for 'oidcIssuer': must be https:// (http:// only on the loopback address)");
  if (!s.scopes.split(/\s+/).includes('openid')) throw invalid("Invalid value for 'oidcScopes': must include 'openid'");
  if (!ROLES.includes(s.defaultRole)) throw invalid(`Invalid value for 'oidcDefaultRole': one of ${ROLES.join(', ')}`);
}
