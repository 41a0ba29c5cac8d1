import * as client from 'openid-client';
import { DomainError } from '../../core/errors.js';
import { SESSION_TTL_MS, type GovernanceService, type UserActor } from './governance.service.js';
import { checkOidcSettings, type OidcSettings } from './oidc-settings.js';

/** What the browser keeps between the redirect to the provider and the way back (an HttpOnly cookie). */
export interface WebFlow {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  readonly redirectUri: string;
  readonly returnTo: string;
}

export interface DeviceStart {
  readonly deviceCode: string;
  readonly userCode: string;
  readonly verificationUri: string;
  readonly verificationUriComplete?: string | undefined;
  readonly expiresIn: number;
  readonly interval: number;
}

export type DevicePoll = { readonly status: 'pending' | 'slow_down' } | { readonly status: 'signed_in'; readonly actor: UserActor };

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const failed = (message: string) => new DomainError('UNAUTHENTICATED', message);

/**
 * OpenID Connect sign-in (openid-client): the web UI by authorization code with PKCE, the CLI by the device
 * authorization grant, both ending in `GovernanceService.signInExternal`, which provisions the user and syncs the
 * mapped groups. The provider's metadata is discovered on first use, so the server starts while the provider is down.
 */
export class OidcSignIn {
  private discovered: Promise<client.Configuration> | undefined;

  constructor(
    private readonly settings: OidcSettings,
    private readonly governance: GovernanceService,
  ) {
    checkOidcSettings(settings);
  }

  get issuer(): string {
    return this.settings.issuer;
  }

  /** The provider's authorization URL, and what the callback needs to check its answer. */
  async startWebLogin(requestOrigin: string, returnTo: string): Promise<{ url: string; flow: WebFlow }> {
    const config = await this.config();
    const verifier = client.randomPKCECodeVerifier();
    const flow: WebFlow = {
      state: client.randomState(), nonce: client.randomNonce(), verifier,
      redirectUri: this.settings.redirectUrl ?? `${requestOrigin}/api/v1/auth/oidc/callback`, returnTo,
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: flow.redirectUri, scope: this.settings.scopes, state: flow.state, nonce: flow.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    return { url: url.href, flow };
  }

  /** The provider's answer (the callback's query string) checked against the flow: state, PKCE, nonce, ID token. */
  async finishWebLogin(query: string, flow: WebFlow): Promise<UserActor> {
    const config = await this.config();
    const current = new URL(flow.redirectUri);
    current.search = query;
    const providerError = current.searchParams.get('error');
    if (providerError) throw failed(`The identity provider refused the sign-in: ${current.searchParams.get('error_description') ?? providerError}`);
    const tokens = await this.call(() => client.authorizationCodeGrant(config, current, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true }));
    return this.signIn(config, tokens);
  }

  async startDevice(): Promise<DeviceStart> {
    const config = await this.config();
    if (!config.serverMetadata().device_authorization_endpoint) throw new DomainError('INVALID_STATE', 'The identity provider offers no device authorization endpoint; sign in to the CLI with a token instead');
    const r = await this.call(() => client.initiateDeviceAuthorization(config, { scope: this.settings.scopes }));
    return {
      deviceCode: r.device_code, userCode: r.user_code, verificationUri: r.verification_uri, verificationUriComplete: r.verification_uri_complete,
      expiresIn: r.expires_in, interval: r.interval ?? 5,
    };
  }

  /** One poll of the provider's token endpoint for a device code (the CLI polls at the interval it was given). */
  async pollDevice(deviceCode: string): Promise<DevicePoll> {
    const config = await this.config();
    try {
      const tokens = await client.genericGrantRequest(config, DEVICE_GRANT, { device_code: deviceCode });
      return { status: 'signed_in', actor: await this.signIn(config, tokens) };
    } catch (err) {
      if (err instanceof client.ResponseBodyError) {
        if (err.error === 'authorization_pending' || err.error === 'slow_down') return { status: err.error === 'slow_down' ? 'slow_down' : 'pending' };
        if (err.error === 'access_denied') throw failed('The sign-in was denied at the identity provider');
        if (err.error === 'expired_token') throw failed('The code expired before it was confirmed; run the sign-in again');
      }
      return this.rethrow(err);
    }
  }

  private async signIn(config: client.Configuration, tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers): Promise<UserActor> {
    const idClaims = tokens.claims();
    if (!idClaims) throw failed('The identity provider sent no ID token');
    let claims: Record<string, unknown> = { ...idClaims };
    // Providers put groups and names in the ID token or only in userinfo: ask userinfo when it exists.
    if (config.serverMetadata().userinfo_endpoint) {
      const info = await this.call(() => client.fetchUserInfo(config, tokens.access_token, idClaims.sub));
      claims = { ...info, ...claims };
    }
    const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    const username = str(claims[this.settings.usernameClaim]) ?? str(claims.email) ?? idClaims.sub;
    const raw = claims[this.settings.groupsClaim];
    const theirs = Array.isArray(raw) ? raw.filter((g): g is string => typeof g === 'string') : typeof raw === 'string' ? [raw] : [];
    const map = this.settings.groupMap;
    return this.governance.signInExternal({
      issuer: idClaims.iss, subject: idClaims.sub, username, email: str(claims.email), defaultRole: this.settings.defaultRole,
      groups: [...new Set(theirs.flatMap((g) => (map.has(g) ? [map.get(g)!] : [])))], managedGroups: [...new Set(map.values())],
    });
  }

  private config(): Promise<client.Configuration> {
    const s = this.settings;
    this.discovered ??= client
      .discovery(new URL(s.issuer), s.clientId, undefined, s.clientSecret ? client.ClientSecretBasic(s.clientSecret) : client.None(), {
        ...(new URL(s.issuer).protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
        timeout: 10,
      })
      .catch((err: unknown) => {
        // Asked again next time: the provider may be back.
        this.discovered = undefined;
        throw new DomainError('INVALID_STATE', `The identity provider at ${s.issuer} could not be reached: ${(err as Error).message}`);
      });
    return this.discovered;
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      return this.rethrow(err);
    }
  }

  /** The provider's refusals and failed checks (state, nonce, signature, expiry) say why; the secret never appears. */
  private rethrow(err: unknown): never {
    if (err instanceof DomainError) throw err;
    if (err instanceof client.ResponseBodyError) throw failed(`The identity provider refused the sign-in: ${err.error_description ?? err.error}`);
    // openid-client's checks say what failed in the cause ('unexpected "state" response parameter value', …).
    const cause = (err as { cause?: unknown }).cause;
    const detail = cause instanceof Error && cause.message !== (err as Error).message ? `: ${cause.message}` : '';
    throw failed(`Single sign-on failed: ${(err as Error).message}${detail}`);
  }
}

/** How long a token made by a CLI sign-in lasts: as long as a web session. */
export const SSO_TOKEN_TTL_SECONDS = SESSION_TTL_MS / 1000;
