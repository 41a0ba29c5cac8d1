import cluster from 'node:cluster';
import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';

interface ServerOptions {
  host?: string;
  port?: string;
  db?: string;
  artifacts?: string;
  home?: string;
  workers?: string;
  logLevel?: string;
  promotionPolicy?: string;
  auth?: boolean;
  defaultPermission?: string;
  auditRetentionDays?: string;
  reviewPullSeconds?: string;
  trustProxy?: boolean;
  auditKeysFile?: string;
  auditCheckpoints?: string;
  auditCheckpointSeconds?: string;
  auditReads?: string;
  auditDeniedPerMinute?: string;
  signinMaxFailures?: string;
  signinMaxFailuresPerAddress?: string;
  signinWindowSeconds?: string;
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

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('Run the OpenExpert server (MLflow-compatible tracking API, native API, metrics)')
    .option('--host <host>', 'interface to listen on (default 127.0.0.1, or $OPENEXPERT_HOST)')
    .option('-p, --port <port>', 'port (default 5000, or $OPENEXPERT_PORT)')
    .option('--db <url>', 'database: sqlite:<file> (default <home>/openexpert.db) or postgres://…')
    .option('--artifacts <uri>', 'artifact root: a directory (default <home>/artifacts) or s3://bucket/prefix')
    .option('--home <dir>', 'data directory (default ./.openexpert, or $OPENEXPERT_HOME)')
    .option('-w, --workers <n>', 'worker processes sharing the port', '1')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .option('--promotion-policy <file>', 'YAML/JSON default promotion policy (or $OPENEXPERT_PROMOTION_POLICY)')
    .option('--auth', 'require users/tokens, enforce roles, audit changes (or $OPENEXPERT_AUTH); admin from $OPENEXPERT_ADMIN_USERNAME/$OPENEXPERT_ADMIN_PASSWORD')
    .option('--default-permission <level>', "with --auth: everyone's level on new objects: NO_PERMISSIONS, READ (default), USE, EDIT, MANAGE (or $OPENEXPERT_DEFAULT_PERMISSION)")
    .option('--online-store <url>', 'online feature store: redis://host:port (default: the metadata database; or $OPENEXPERT_ONLINE_STORE)')
    .option('--feature-source-roots <dirs>', 'comma-separated folders and s3://bucket/prefix URIs feature views may read path and S3 sources from (default: anywhere without --auth, nowhere with it; or $OPENEXPERT_FEATURE_SOURCE_ROOTS)')
    .option('--review-pull-seconds <n>', 'pull every review queue fed by predictions or traces this often, as its creator; 0 pulls only on request (default 0, or $OPENEXPERT_REVIEW_PULL_SECONDS)')
    .option('--audit-retention-days <n>', 'with --auth: prune audit entries older than this, behind a chained checkpoint; 0 keeps all (or $OPENEXPERT_AUDIT_RETENTION_DAYS)')
    .option('--audit-keys-file <file>', "with --auth: 'id=secret' lines signing the audit chain; the last signs, older ones still verify (or $OPENEXPERT_AUDIT_KEYS_FILE, or $OPENEXPERT_AUDIT_KEYS as id=secret,…)")
    .option('--audit-checkpoints <uri>', 'with --auth: append signed checkpoints of the audit chain to a file, s3://bucket/prefix or an http(s) webhook (or $OPENEXPERT_AUDIT_CHECKPOINTS)')
    .option('--audit-checkpoint-seconds <n>', 'how often the audit head is checkpointed when it moved (default 60)')
    .option('--audit-reads <kinds>', 'with --auth: also audit reads of these object kinds, comma-separated: experiment, registered_model, dataset, monitor, deployment (or $OPENEXPERT_AUDIT_READS)')
    .option('--audit-denied-per-minute <n>', 'refused requests audited per source address and minute; the rest are counted (default 30)')
    .option('--signin-max-failures <n>', 'failed sign-ins per account and address within the window before it is refused (default 5)')
    .option('--signin-max-failures-per-address <n>', 'failed sign-ins per address across all accounts within the window (default 20)')
    .option('--signin-window-seconds <n>', 'the sign-in failure window (default 60)')
    .option('--serving-python-command <cmd>', "how models without an ONNX flavor are served; {model_uri} and {port} are filled in (default 'mlflow models serve -m {model_uri} -p {port} --env-manager local', or $OPENEXPERT_SERVING_PYTHON_COMMAND)")
    .option('--oidc-issuer <url>', 'with --auth: single sign-on with this OpenID Connect provider (or $OPENEXPERT_OIDC_ISSUER; the client secret only from $OPENEXPERT_OIDC_CLIENT_SECRET)')
    .option('--oidc-client-id <id>', 'the client registered at the provider (or $OPENEXPERT_OIDC_CLIENT_ID)')
    .option('--oidc-scopes <scopes>', "scopes asked for (default 'openid profile email')")
    .option('--oidc-username-claim <claim>', "the claim a new user's name comes from (default preferred_username, then email, then sub)")
    .option('--oidc-groups-claim <claim>', "the claim listing the user's groups at the provider (default groups)")
    .option('--oidc-group-map <map>', 'provider-group=openexpert-group,…: groups synced at each sign-in')
    .option('--oidc-default-role <role>', 'role of users created by their first sign-in (default member)')
    .option('--oidc-redirect-url <url>', 'the callback URL registered at the provider (default: from the request, <server>/api/v1/auth/oidc/callback)')
    .option('--trust-proxy', 'behind a reverse proxy: client address and scheme from X-Forwarded-For/-Proto (or $OPENEXPERT_TRUST_PROXY)')
    .action(async (opts: ServerOptions) => {
      const config = loadConfig(opts);
      const workers = Number(opts.workers ?? 1);
      if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new Error(`--workers must be an integer from 1 to 64, got '${opts.workers}'`);
      if (workers > 1 && cluster.isPrimary) {
        // Migrate once before forking so workers never race on the schema.
        const { migrate, openDatabase } = await import('../store/db.js');
        const database = await openDatabase(config.dbUrl);
        await migrate(database);
        await database.close();
        for (let i = 0; i < workers; i++) cluster.fork();
        cluster.on('exit', (worker, code, signal) => {
          if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGINT') {
            console.error(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
            cluster.fork();
          }
        });
        console.log(`OpenExpert listening on http://${config.host}:${config.port} with ${workers} workers (db ${redact(config.dbUrl)})`);
        return;
      }
      // The server (and the store, the artifact backends, ONNX Runtime…) loads only for this command: every other
      // command starts without it.
      const { startServer } = await import('../main.js');
      const server = await startServer(config);
      if (cluster.isPrimary) console.log(`OpenExpert listening on ${server.url} (db ${redact(config.dbUrl)}, artifacts ${config.artifactsUri})`);
      const stop = () => {
        void server.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

/** Database URLs may carry passwords; never print them. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
