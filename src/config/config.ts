import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { invalid } from '../core/errors.js';
import { OBJECT_KINDS, type ObjectKind } from '../domain/access/access.js';
import { EXACT_PROFILE_ROWS } from '../domain/datasets/types.js';
import { DEFAULT_PYTHON_COMMAND } from '../domain/serving/python-runtime.js';
import { checkOidcSettings, parseGroupMap, type OidcSettings } from '../domain/governance/oidc-settings.js';

/**
 * Everything configurable, parsed once. Flags win over environment variables, which win over defaults;
 * this is the only module that reads `process.env`.
 */
export interface Config {
  readonly host: string;
  readonly port: number;
  /** Data directory: the embedded database and the local artifact folder live here by default. */
  readonly home: string;
  readonly dbUrl: string;
  readonly artifactsUri: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly auth: boolean;
  /** SQLite `synchronous` pragma: NORMAL survives a killed process, FULL also survives power loss. */
  readonly sqliteSynchronous: 'NORMAL' | 'FULL';
  /** Tables up to this many rows are profiled exactly; larger ones get estimates labelled with their error bounds. */
  readonly exactProfileRows: number;
  readonly s3: { readonly endpoint?: string; readonly region: string; readonly accessKeyId?: string; readonly secretAccessKey?: string; readonly forcePathStyle: boolean };
  /** YAML or JSON file with the server's default promotion policy; the built-in default when absent. */
  readonly promotionPolicyFile?: string;
  /** JSON file with the compute price table (per CPU-hour, GiB-hour, GPU-hour by type); built-in defaults when absent. */
  readonly computePricesFile?: string;
  /** With auth on, this admin is created on first start (OPENEXPERT_ADMIN_USERNAME / OPENEXPERT_ADMIN_PASSWORD). */
  readonly adminUsername?: string;
  readonly adminPassword?: string;
  /** With auth on: what everyone may do with a new object (MLflow's default_permission, READ unless set). */
  readonly defaultPermission: 'NO_PERMISSIONS' | 'READ' | 'USE' | 'EDIT' | 'MANAGE';
  /** Audit entries older than this many days are pruned (behind a chained checkpoint); 0 keeps them forever. */
  readonly auditRetentionDays: number;
  /** Seconds between background pulls of every review queue fed by predictions or traces; 0: only on request. */
  readonly reviewPullSeconds: number;
  /** Behind a reverse proxy: take the client address and scheme from X-Forwarded-For/-Proto (audit, rate limits, Secure cookies). */
  readonly trustProxy: boolean;
  /** Parse every native API reply by its declared schema (the test suite turns this on: OPENEXPERT_CHECK_REPLIES). */
  readonly checkReplies: boolean;
  /** A file of `id=secret` lines signing the audit chain (HMAC-SHA256); the last line signs, earlier ones still verify. */
  readonly auditKeysFile?: string;
  /** The same as `id=secret,id=secret` (OPENEXPERT_AUDIT_KEYS), for secret stores that hand out environment variables. */
  readonly auditKeys?: string;
  /** Where signed audit checkpoints go: a file path or file:// URI, s3://bucket/prefix, or an http(s) webhook. */
  readonly auditCheckpoints?: string;
  /** How often the chain's head is checkpointed (when it moved). */
  readonly auditCheckpointSeconds: number;
  /** Object kinds whose reads are audited as well as their changes (data-access auditing). */
  readonly auditReads: readonly ObjectKind[];
  /** Refused requests audited per source address and minute; the rest of a flood is counted, not written. */
  readonly auditDeniedPerMinute: number;
  /** Failed sign-ins allowed per account and address, and per address across all accounts, within the window. */
  readonly signIn: { readonly maxPerAccount: number; readonly maxPerAddress: number; readonly windowSeconds: number };
  /** Single sign-on with an OpenID Connect provider (with auth on), when an issuer and a client id are set. */
  readonly oidc?: OidcSettings;
  /** How models without an ONNX flavor are served: this command, with `{model_uri}` and `{port}` filled in. */
  readonly servingPythonCommand: string;
  /** Where online feature values live: the metadata database (default), or a redis:// URL. */
  readonly onlineStore?: string;
  /**
   * Folders a feature view's `source.path` may be in (after symlinks are resolved). Absent: any path the server can
   * read, the default without auth (one user, who can read the machine anyway); with auth the default is none.
   */
  readonly featureSourceRoots?: readonly string[];
}

export interface ConfigFlags {
  host?: string;
  port?: string | number;
  home?: string;
  db?: string;
  artifacts?: string;
  logLevel?: string;
  auth?: boolean;
  sqliteSynchronous?: string;
  promotionPolicy?: string;
  defaultPermission?: string;
  auditRetentionDays?: string | number;
  reviewPullSeconds?: string | number;
  trustProxy?: boolean;
  auditKeysFile?: string;
  auditCheckpoints?: string;
  auditCheckpointSeconds?: string | number;
  auditReads?: string;
  auditDeniedPerMinute?: string | number;
  signinMaxFailures?: string | number;
  signinMaxFailuresPerAddress?: string | number;
  signinWindowSeconds?: string | number;
  servingPythonCommand?: string;
  onlineStore?: string;
  featureSourceRoots?: string;
  oidcIssuer?: string;
  oidcClientId?: string;
  oidcScopes?: string;
  oidcUsernameClaim?: string;
  oidcGroupsClaim?: string;
  oidcGroupMap?: string;
  oidcDefaultRole?: string;
  oidcRedirectUrl?: string;
}

const Schema = z.object({
  host: z.string().min(1),
  port: z.coerce.number().int().min(0).max(65535),
  home: z.string().min(1),
  dbUrl: z.string().min(1).optional(),
  artifactsUri: z.string().min(1).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  auth: z.boolean(),
  sqliteSynchronous: z.enum(['NORMAL', 'FULL']),
  exactProfileRows: z.coerce.number().int().min(0),
  promotionPolicyFile: z.string().min(1).optional(),
  computePricesFile: z.string().min(1).optional(),
  adminUsername: z.string().min(1).optional(),
  adminPassword: z.string().min(8).optional(),
  defaultPermission: z.enum(['NO_PERMISSIONS', 'READ', 'USE', 'EDIT', 'MANAGE']),
  auditRetentionDays: z.coerce.number().int().min(0),
  reviewPullSeconds: z.coerce.number().int().min(0).max(86_400),
  trustProxy: z.boolean(),
  servingPythonCommand: z.string().min(1).refine((c) => c.includes('{port}'), "must contain '{port}' (where the scoring server listens)"),
  onlineStore: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL (leave it unset for the database)').optional(),
  featureSourceRoots: z.array(z.string().refine((d) => path.isAbsolute(d) || /^s3:\/\/[^/]+/.test(d), 'must be absolute folders or s3://bucket/prefix URIs')).optional(),
  auditKeysFile: z.string().min(1).optional(),
  auditKeys: z.string().min(1).optional(),
  auditCheckpoints: z.string().min(1).optional(),
  auditCheckpointSeconds: z.coerce.number().int().min(1).max(86_400),
  auditReads: z.array(z.enum(OBJECT_KINDS)),
  auditDeniedPerMinute: z.coerce.number().int().min(0).max(1_000_000),
  signIn: z.object({
    maxPerAccount: z.coerce.number().int().min(1).max(1_000_000),
    maxPerAddress: z.coerce.number().int().min(1).max(1_000_000),
    windowSeconds: z.coerce.number().int().min(1).max(86_400),
  }),
  checkReplies: z.boolean(),
  oidc: z.object({
    issuer: z.string().min(1).optional(),
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    scopes: z.string().min(1),
    usernameClaim: z.string().min(1),
    groupsClaim: z.string().min(1),
    groupMap: z.string().optional(),
    defaultRole: z.enum(['viewer', 'member', 'maintainer', 'admin']),
    redirectUrl: z.string().url().optional(),
  }),
  s3: z.object({
    endpoint: z.string().url().optional(),
    region: z.string().min(1),
    accessKeyId: z.string().optional(),
    secretAccessKey: z.string().optional(),
    forcePathStyle: z.boolean(),
  }),
});

const listOf = (v: string | undefined): string[] => (v ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
const truthy = (v: string | undefined) => v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());

export function loadConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Schema.safeParse({
    host: flags.host ?? env.OPENEXPERT_HOST ?? '127.0.0.1',
    port: flags.port ?? env.OPENEXPERT_PORT ?? 5000,
    home: path.resolve(flags.home ?? env.OPENEXPERT_HOME ?? '.openexpert'),
    dbUrl: flags.db ?? env.OPENEXPERT_DB,
    artifactsUri: flags.artifacts ?? env.OPENEXPERT_ARTIFACTS,
    logLevel: flags.logLevel ?? env.OPENEXPERT_LOG_LEVEL ?? 'info',
    auth: flags.auth ?? truthy(env.OPENEXPERT_AUTH),
    sqliteSynchronous: (flags.sqliteSynchronous ?? env.OPENEXPERT_SQLITE_SYNCHRONOUS ?? 'NORMAL').toUpperCase(),
    exactProfileRows: env.OPENEXPERT_EXACT_PROFILE_ROWS ?? EXACT_PROFILE_ROWS,
    promotionPolicyFile: flags.promotionPolicy ?? env.OPENEXPERT_PROMOTION_POLICY,
    computePricesFile: env.OPENEXPERT_COMPUTE_PRICES || undefined,
    adminUsername: env.OPENEXPERT_ADMIN_USERNAME,
    adminPassword: env.OPENEXPERT_ADMIN_PASSWORD,
    defaultPermission: (flags.defaultPermission ?? env.OPENEXPERT_DEFAULT_PERMISSION ?? 'READ').toUpperCase(),
    auditRetentionDays: flags.auditRetentionDays ?? env.OPENEXPERT_AUDIT_RETENTION_DAYS ?? 0,
    reviewPullSeconds: flags.reviewPullSeconds ?? env.OPENEXPERT_REVIEW_PULL_SECONDS ?? 0,
    trustProxy: flags.trustProxy ?? truthy(env.OPENEXPERT_TRUST_PROXY),
    servingPythonCommand: flags.servingPythonCommand ?? env.OPENEXPERT_SERVING_PYTHON_COMMAND ?? DEFAULT_PYTHON_COMMAND,
    onlineStore: flags.onlineStore ?? env.OPENEXPERT_ONLINE_STORE,
    featureSourceRoots: (() => {
      const given = flags.featureSourceRoots ?? env.OPENEXPERT_FEATURE_SOURCE_ROOTS;
      if (given !== undefined) return listOf(given);
      return (flags.auth ?? truthy(env.OPENEXPERT_AUTH)) ? [] : undefined;
    })(),
    auditKeysFile: flags.auditKeysFile ?? env.OPENEXPERT_AUDIT_KEYS_FILE,
    auditKeys: env.OPENEXPERT_AUDIT_KEYS,
    auditCheckpoints: flags.auditCheckpoints ?? env.OPENEXPERT_AUDIT_CHECKPOINTS,
    auditCheckpointSeconds: flags.auditCheckpointSeconds ?? env.OPENEXPERT_AUDIT_CHECKPOINT_SECONDS ?? 60,
    auditReads: listOf(flags.auditReads ?? env.OPENEXPERT_AUDIT_READS),
    auditDeniedPerMinute: flags.auditDeniedPerMinute ?? env.OPENEXPERT_AUDIT_DENIED_PER_MINUTE ?? 30,
    signIn: {
      maxPerAccount: flags.signinMaxFailures ?? env.OPENEXPERT_SIGNIN_MAX_FAILURES ?? 5,
      maxPerAddress: flags.signinMaxFailuresPerAddress ?? env.OPENEXPERT_SIGNIN_MAX_FAILURES_PER_ADDRESS ?? 20,
      windowSeconds: flags.signinWindowSeconds ?? env.OPENEXPERT_SIGNIN_WINDOW_SECONDS ?? 60,
    },
    checkReplies: truthy(env.OPENEXPERT_CHECK_REPLIES),
    oidc: {
      issuer: flags.oidcIssuer ?? env.OPENEXPERT_OIDC_ISSUER,
      clientId: flags.oidcClientId ?? env.OPENEXPERT_OIDC_CLIENT_ID,
      clientSecret: env.OPENEXPERT_OIDC_CLIENT_SECRET,
      scopes: flags.oidcScopes ?? env.OPENEXPERT_OIDC_SCOPES ?? 'openid profile email',
      usernameClaim: flags.oidcUsernameClaim ?? env.OPENEXPERT_OIDC_USERNAME_CLAIM ?? 'preferred_username',
      groupsClaim: flags.oidcGroupsClaim ?? env.OPENEXPERT_OIDC_GROUPS_CLAIM ?? 'groups',
      groupMap: flags.oidcGroupMap ?? env.OPENEXPERT_OIDC_GROUP_MAP,
      defaultRole: (flags.oidcDefaultRole ?? env.OPENEXPERT_OIDC_DEFAULT_ROLE ?? 'member').toLowerCase(),
      redirectUrl: flags.oidcRedirectUrl ?? env.OPENEXPERT_OIDC_REDIRECT_URL,
    },
    s3: {
      endpoint: env.OPENEXPERT_S3_ENDPOINT ?? env.MLFLOW_S3_ENDPOINT_URL ?? undefined,
      region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      forcePathStyle: env.OPENEXPERT_S3_FORCE_PATH_STYLE === undefined ? true : truthy(env.OPENEXPERT_S3_FORCE_PATH_STYLE),
    },
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(`Invalid configuration for '${issue?.path.join('.') ?? '?'}': ${issue?.message ?? 'invalid'}`);
  }
  const { oidc: o, ...c } = parsed.data;
  let oidc: OidcSettings | undefined;
  if (o.issuer !== undefined || o.clientId !== undefined) {
    if (o.issuer === undefined || o.clientId === undefined) throw invalid("Invalid configuration for 'oidc': single sign-on needs both an issuer (OPENEXPERT_OIDC_ISSUER) and a client id (OPENEXPERT_OIDC_CLIENT_ID)");
    if (!c.auth) throw invalid("Invalid configuration for 'oidc': single sign-on needs auth on (--auth)");
    oidc = { ...o, issuer: o.issuer, clientId: o.clientId, groupMap: parseGroupMap(o.groupMap) };
    checkOidcSettings(oidc);
  }
  return {
    ...c,
    ...(oidc ? { oidc } : {}),
    dbUrl: c.dbUrl ?? `sqlite:${path.join(c.home, 'openexpert.db')}`,
    artifactsUri: c.artifactsUri ?? path.join(c.home, 'artifacts'),
  };
}

/** The server a CLI command talks to. */
export function clientUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return (flag ?? env.OPENEXPERT_URL ?? env.MLFLOW_TRACKING_URI ?? 'http://127.0.0.1:5000').replace(/\/+$/, '');
}

/**
 * What `openexpert run` tells the commands it runs: the run they belong to (OPENEXPERT_RUN_ID), and, in a
 * reproduction, the dataset versions the original read (OPENEXPERT_DATASET_PINS=`churn@3,events@12`), so a
 * command asking for `churn` or `churn@prod` gets the version the original got.
 */
export function trackedRunContext(env: NodeJS.ProcessEnv = process.env): { runId?: string; pins: ReadonlyMap<string, number> } {
  const pins = new Map<string, number>();
  for (const pin of (env.OPENEXPERT_DATASET_PINS ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = pin.lastIndexOf('@');
    const version = Number(pin.slice(at + 1));
    if (at > 0 && Number.isInteger(version) && version > 0) pins.set(pin.slice(0, at), version);
  }
  return { ...(env.OPENEXPERT_RUN_ID ? { runId: env.OPENEXPERT_RUN_ID } : {}), pins };
}

/** The retrain request a monitor's retrain command was started for (OPENEXPERT_RETRAIN_REQUEST), which it reports back to. */
export function retrainRequestOf(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.OPENEXPERT_RETRAIN_REQUEST || undefined;
}

/** Where `openexpert login` keeps a token per server (OPENEXPERT_CREDENTIALS_FILE, else ~/.openexpert/credentials.json). */
export function credentialsFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.OPENEXPERT_CREDENTIALS_FILE || path.join(os.homedir(), '.openexpert', 'credentials.json');
}

/** A token the environment gives CLI commands (OPENEXPERT_TOKEN, or MLflow's MLFLOW_TRACKING_TOKEN). */
export function environmentToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.OPENEXPERT_TOKEN || env.MLFLOW_TRACKING_TOKEN || undefined;
}
