import { Activity, Bell, FlaskConical, GitPullRequestArrow, Rocket } from 'lucide-react';
import { useSyncExternalStore, type ReactNode } from 'react';
import { Link } from 'react-router';
import { currentUser, onCurrentUserChange } from '../../api/client';
import { homeApi } from '../../api/home';
import { monitoringApi } from '../../api/monitoring';
import { registryApi, type PromotionRequest } from '../../api/registry';
import { trackingApi, type RunStatus } from '../../api/tracking';
import { useAuth } from '../../components/auth';
import { EmptyState } from '../../components/empty-state';
import { ErrorMessage, Loading } from '../../components/status';
import { formatTime } from '../../lib/format';
import { useApi, type ApiState } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';

/** Runs shown; experiments searched for them (the most recently changed ones). */
const RECENT_RUNS = 8;
const EXPERIMENTS_SEARCHED = 50;

/** "3 min ago": how long ago, in the largest whole unit. */
export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return 'just now';
  const units: [number, string][] = [[86_400, 'd'], [3600, 'h'], [60, 'min']];
  for (const [size, unit] of units) if (s >= size) return `${Math.floor(s / size)} ${unit} ago`;
  return 'just now';
}

const RUN_TONE: Readonly<Record<RunStatus, string>> = { FINISHED: 'ok', FAILED: 'danger', KILLED: 'danger', RUNNING: 'info', SCHEDULED: 'warn' };

/** A request waits for me when it is pending, someone else asked, and I have not approved it yet. */
export function waitsFor(me: string, r: PromotionRequest): boolean {
  return r.state === 'pending' && (!me || (r.requester !== me && !r.approvals.some((a) => a.userId === me)));
}

function Panel({ title, icon, count, testId, more, children }: { title: string; icon: ReactNode; count?: number | undefined; testId: string; more?: ReactNode; children: ReactNode }) {
  const id = `${testId}-title`;
  return (
    <section className="panel" aria-labelledby={id} data-testid={testId}>
      <header>
        {icon}
        <h2 id={id}>{title}</h2>
        {count !== undefined ? <span className={`pill${count > 0 ? ' info' : ''}`}>{count}</span> : null}
        {more}
      </header>
      <div className="panel-body">{children}</div>
    </section>
  );
}

/** Error, loading or the content of one panel. */
function Loaded<T>({ state, what, children }: { state: ApiState<T>; what: string; children: (data: T) => ReactNode }) {
  if (state.error) return <ErrorMessage error={state.error} what={what} />;
  if (state.data === undefined) return <Loading what={what} lines={3} />;
  return <>{children(state.data)}</>;
}

function RecentRuns() {
  const runs = useApi(async (signal) => {
    const experiments = await trackingApi.listExperiments({ maxResults: EXPERIMENTS_SEARCHED, orderBy: 'last_update_time DESC' }, signal);
    const ids = experiments.items.map((e) => e.experimentId);
    if (ids.length === 0) return { runs: [], names: new Map<string, string>() };
    const page = await trackingApi.searchRuns({ experimentIds: ids, orderBy: ['attributes.start_time DESC'], maxResults: RECENT_RUNS }, signal);
    return { runs: page.items, names: new Map(experiments.items.map((e) => [e.experimentId, e.name])) };
  }, []);
  return (
    <Panel title="Recent runs" icon={<FlaskConical className="icon" aria-hidden="true" />} testId="home-runs" more={<Link to="/experiments">All experiments</Link>}>
      <Loaded state={runs} what="recent runs">
        {({ runs: items, names }) => items.length === 0 ? (
          <EmptyState title="No runs yet" icon={FlaskConical} commands={['mlflow.set_tracking_uri("http://127.0.0.1:5000")', 'with mlflow.start_run(): mlflow.log_metric("acc", 0.9)']}>
            Log a run from Python with the MLflow client pointed at this server:
          </EmptyState>
        ) : (
          <ul className="feed" data-kbd-list>
            {items.map((r) => (
              <li key={r.info.runId}>
                <span className={`pill ${RUN_TONE[r.info.status]}`}>{r.info.status.toLowerCase()}</span>
                <span className="grow">
                  <Link to={`/runs/${encodeURIComponent(r.info.runId)}`}>{r.info.runName || r.info.runId}</Link>
                  <span className="muted"> in {names.get(r.info.experimentId) ?? r.info.experimentId}{r.info.userId ? ` · ${r.info.userId}` : ''}</span>
                </span>
                <span className="when" title={formatTime(r.info.startTime)}>{ago(r.info.startTime)}</span>
              </li>
            ))}
          </ul>
        )}
      </Loaded>
    </Panel>
  );
}

function WaitingPromotions({ me }: { me: string }) {
  const requests = useApi((signal) => registryApi.requests({ state: 'pending' }, signal), []);
  const mine = requests.data?.items.filter((r) => waitsFor(me, r));
  return (
    <Panel title="Promotions waiting for me" icon={<GitPullRequestArrow className="icon" aria-hidden="true" />} count={mine?.length} testId="home-promotions" more={<Link to="/promotions">All requests</Link>}>
      <Loaded state={requests} what="promotion requests">
        {() => !mine || mine.length === 0 ? (
          <EmptyState title="Nothing waits for your approval" icon={GitPullRequestArrow} commands={['openexpert models promote <model> <version> --to Production']}>
            Requests others open for a gated stage or alias show up here.
          </EmptyState>
        ) : (
          <ul className="feed" data-kbd-list>
            {mine.map((r) => (
              <li key={r.id}>
                <span className="pill warn">→ {r.target}</span>
                <span className="grow">
                  <Link to={`/models/${encodeURIComponent(r.name)}/versions/${r.version}`}>{r.name} v{r.version}</Link>
                  <span className="muted"> by {r.requester} · {r.checks.filter((c) => c.passed).length}/{r.checks.length} checks pass</span>
                </span>
                <span className="when" title={formatTime(r.createdTime)}>{ago(r.createdTime)}</span>
              </li>
            ))}
          </ul>
        )}
      </Loaded>
    </Panel>
  );
}

function FiringAlerts() {
  const alerts = useApi(async (signal) => {
    const [firing, monitors] = await Promise.all([homeApi.alerts('firing', signal), monitoringApi.list(signal)]);
    return { items: firing.items, monitors: new Map(monitors.items.map((m) => [m.monitorId, m.name])) };
  }, []);
  return (
    <Panel title="Alerts firing" icon={<Bell className="icon" aria-hidden="true" />} count={alerts.data?.items.length} testId="home-alerts" more={<Link to="/monitoring">Monitors</Link>}>
      <Loaded state={alerts} what="alerts">
        {({ items, monitors }) => items.length === 0 ? (
          <EmptyState title="No alert is firing" icon={Activity} commands={['openexpert monitor create churn --reference churn-train@1 --model churn']}>
            Alert rules on a monitor's drift and quality figures fire here when they hold for their windows.
          </EmptyState>
        ) : (
          <ul className="feed" data-kbd-list>
            {items.map((a) => {
              const monitor = monitors.get(a.monitorId);
              return (
                <li key={a.ruleId}>
                  <span className="pill danger">firing</span>
                  <span className="grow">
                    {monitor ? <Link to={`/monitoring/${encodeURIComponent(monitor)}`}>{a.name}</Link> : a.name}
                    <span className="muted"> {a.figure} {a.op} {a.threshold}{a.lastValue !== null ? ` (now ${a.lastValue.toPrecision(3)})` : ''}{monitor ? ` · ${monitor}` : ''}</span>
                  </span>
                  <span className="when" title={formatTime(a.stateSince)}>{ago(a.stateSince)}</span>
                </li>
              );
            })}
          </ul>
        )}
      </Loaded>
    </Panel>
  );
}

function RollingOut() {
  const deployments = useApi((signal) => homeApi.deployments(signal), []);
  const rolling = deployments.data?.items.filter((d) => d.status !== 'stable');
  return (
    <Panel title="Deployments rolling out" icon={<Rocket className="icon" aria-hidden="true" />} count={rolling?.length} testId="home-deployments">
      <Loaded state={deployments} what="deployments">
        {() => !rolling || rolling.length === 0 ? (
          <EmptyState title="No rollout in progress" icon={Rocket} commands={['openexpert deploy churn --name churn-api', 'openexpert deployments status churn-api']}>
            A canary, blue-green or shadow rollout shows its progress here until it is promoted or rolled back.
          </EmptyState>
        ) : (
          <ul className="feed" data-kbd-list>
            {rolling.map((d) => (
              <li key={d.name}>
                <span className={`pill ${d.status === 'paused' ? 'warn' : 'info'}`}>{d.status}</span>
                <span className="grow">
                  <span className="mono">{d.name}</span>
                  <span className="muted"> {d.modelName} v{d.stable.version}{d.rollout ? ` → v${d.rollout.candidate.version} at ${d.candidateWeight}%` : ''}</span>
                </span>
                <span className="when" title={formatTime(d.updatedAt)}>{ago(d.updatedAt)}</span>
              </li>
            ))}
          </ul>
        )}
      </Loaded>
    </Panel>
  );
}

/** What changed recently for the person signed in (or acting): runs, requests to review, alerts, rollouts. */
export function HomePage() {
  useTitle('Home');
  const { authEnabled, user } = useAuth();
  const acting = useSyncExternalStore(onCurrentUserChange, currentUser);
  const me = authEnabled ? user : acting;
  return (
    <section aria-labelledby="home-title">
      <h1 id="home-title">{me ? `Welcome back, ${me}` : 'What changed recently'}</h1>
      <p className="muted">Recent runs across your experiments, promotion requests waiting for your review, alerts firing and rollouts in progress. Press <kbd>?</kbd> for keyboard shortcuts.</p>
      <div className="home-grid">
        <RecentRuns />
        <WaitingPromotions me={me} />
        <FiringAlerts />
        <RollingOut />
      </div>
    </section>
  );
}
