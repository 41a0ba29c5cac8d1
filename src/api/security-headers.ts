import { createHash } from 'node:crypto';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * What every response but an HTML document gets: nothing may load, nothing may frame it. JSON, artifacts and
 * the UI's scripts never need more, and a reply a browser is tricked into rendering stays inert.
 */
const NOTHING = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

type Directives = Record<string, readonly string[]>;

/** `'sha256-…'` of each inline `<script>` or `<style>` block of a page, the only inline code a policy admits. */
export function inlineHashes(html: string, tag: 'script' | 'style'): string[] {
  const hashes = new Set<string>();
  for (const m of html.matchAll(new RegExp(`<${tag}(\\s[^>]*)?>([\\s\\S]*?)</${tag}>`, 'gi'))) {
    if (/\ssrc\s*=/i.test(m[1] ?? '') || m[2] === '') continue;
    hashes.add(`'sha256-${createHash('sha256').update(m[2] ?? '').digest('base64')}'`);
  }
  return [...hashes];
}

/**
 * An HTML document's policy: the web UI (its own scripts, styles and API calls, no inline code but the blocks
 * hashed here), and the HTML reports the API serves (their inline `<style>`). Never framed, never a form posted
 * elsewhere, no plugins, no `<base>`.
 */
function documentPolicy(scripts: readonly string[], styles: readonly string[]): string {
  const d: Directives = {
    'default-src': ["'self'"],
    'script-src': ["'self'", ...scripts],
    'style-src': ["'self'", ...styles],
    'img-src': ["'self'", 'data:', 'blob:'],
    'font-src': ["'self'"],
    'connect-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
  };
  return Object.entries(d).map(([k, v]) => `${k} ${v.join(' ')}`).join('; ');
}

const isHtml = (contentType: unknown) => typeof contentType === 'string' && contentType.startsWith('text/html');

/**
 * Security headers on every response (helmet): nosniff, Referrer-Policy no-referrer, frame-ancestors 'none' and
 * X-Frame-Options DENY, cross-origin isolation of windows and resources, and a Content-Security-Policy decided
 * here only: `NOTHING` unless the response is an HTML document, which gets the document policy with the hashes
 * of its own inline blocks (the UI's `index.html`, hashed once at start, and each report as it is sent).
 */
export function registerSecurityHeaders(app: FastifyInstance, uiIndexHtml: string | undefined): void {
  const uiScripts = uiIndexHtml === undefined ? [] : inlineHashes(uiIndexHtml, 'script');
  const uiStyles = uiIndexHtml === undefined ? [] : inlineHashes(uiIndexHtml, 'style');
  void app.register(helmet, {
    contentSecurityPolicy: false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // Browsers ignore it over plain HTTP; behind TLS it keeps them on HTTPS. Other hosts of the domain are not ours to pin.
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: false },
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (!isHtml(reply.getHeader('content-type'))) {
      void reply.header('content-security-policy', NOTHING);
      return payload;
    }
    // A page sent whole (a report, or index.html for a deep link) is hashed as sent; a streamed one is the UI's index.html.
    const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
    const scripts = text === undefined ? uiScripts : inlineHashes(text, 'script');
    const styles = text === undefined ? uiStyles : inlineHashes(text, 'style');
    void reply.header('content-security-policy', documentPolicy(scripts, styles));
    return payload;
  });
}
