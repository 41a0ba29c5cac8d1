import type { Server } from 'node:http';
import Provider from 'oidc-provider';
import { freePort } from '../../src/core/net.js';

export const OIDC_CLIENT = { id: 'openexpert', secret: 'openexpert-test-client-secret' } as const;

export interface TestProvider {
  readonly issuer: string;
  /** The groups each account is in at the provider (the `groups` claim); change them between sign-ins. */
  readonly groups: Map<string, string[]>;
  close(): Promise<void>;
}

/**
 * A real OpenID Provider (the `oidc-provider` package) on a loopback port: authorization code with PKCE required,
 * the device authorization grant, and its development sign-in pages (any login name, any password; the name is the
 * account). Claims: `preferred_username` and `groups` (profile scope), `email`.
 */
export async function startTestProvider(redirectUris: readonly string[]): Promise<TestProvider> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const groups = new Map<string, string[]>();
  const provider = new Provider(issuer, {
    clients: [{
      client_id: OIDC_CLIENT.id, client_secret: OIDC_CLIENT.secret, redirect_uris: [...redirectUris], response_types: ['code'],
      grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'], token_endpoint_auth_method: 'client_secret_basic',
    }],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true }, deviceFlow: { enabled: true } },
    claims: { openid: ['sub'], profile: ['preferred_username', 'groups'], email: ['email'] },
    cookies: { keys: ['openexpert-test-cookie-key'] },
    findAccount: async (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: async () => ({ sub: `sub-${id}`, preferred_username: id, email: `${id}@example.com`, groups: groups.get(id) ?? [] }),
    }),
  });
  const server: Server = await new Promise((resolve) => {
    const s = provider.listen(port, '127.0.0.1', () => resolve(s));
  });
  return {
    issuer,
    groups,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Cookies kept per host, as a browser keeps them (names and values only; the tests stay on loopback). */
export class CookieJar {
  private readonly byHost = new Map<string, Map<string, string>>();
  take(url: URL, res: Response): void {
    const jar = this.byHost.get(url.host) ?? new Map<string, string>();
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    this.byHost.set(url.host, jar);
  }
  header(url: URL): string {
    return [...(this.byHost.get(url.host) ?? new Map<string, string>()).entries()].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  get(url: URL, name: string): string | undefined {
    return this.byHost.get(url.host)?.get(name);
  }
}

const decode = (s: string) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#x2F;/gi, '/').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
const attrs = (tag: string): Record<string, string> => Object.fromEntries([...tag.matchAll(/([\w.:-]+)\s*=\s*"([^"]*)"/g)].map((m) => [m[1]!.toLowerCase(), decode(m[2]!)]));

/**
 * What a person does at the provider, over plain HTTP: follows its redirects and submits each form it shows (the
 * device code confirmation, the sign-in with `login` as name and password, the consent), until a redirect leaves
 * for `until` (returned) or a page without a form ends it (its text is returned).
 */
export async function actAtProvider(start: string, login: string, jar: CookieJar, until?: (url: URL) => boolean): Promise<{ redirect?: URL; page?: string }> {
  let url = new URL(start);
  let init: RequestInit = {};
  for (let step = 0; step < 30; step++) {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string> | undefined), cookie: jar.header(url) } });
    jar.take(url, res);
    if (res.status >= 300 && res.status < 400) {
      await res.arrayBuffer();
      url = new URL(res.headers.get('location')!, url);
      init = {};
      if (until?.(url)) return { redirect: url };
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`provider answered ${res.status} at ${url.href}: ${html.slice(0, 500)}`);
    const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
    if (!form) return { page: html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim() };
    const fields = new URLSearchParams();
    for (const input of form[2]!.matchAll(/<input\b([^>]*)>/gi)) {
      const a = attrs(input[1]!);
      if (!a.name) continue;
      fields.set(a.name, a.type === 'text' || a.type === 'password' ? login : (a.value ?? ''));
    }
    const f = attrs(form[1]!);
    url = new URL(f.action ?? url.href, url);
    init = { method: (f.method ?? 'post').toUpperCase(), body: fields, headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  throw new Error(`no end after 30 steps at the provider (last ${url.href})`);
}
