import { GitPullRequestArrow } from 'lucide-react';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { registryApi, type PromotionRequest } from '../../api/registry';
import { EmptyState } from '../../components/empty-state';
import { ErrorMessage, Loading } from '../../components/status';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';
import { RequestCardOwnLevel } from './registry-bits';

const STATES = ['pending', 'completed', 'rejected', 'withdrawn'] as const;

/** Every model's promotion requests in one place: what waits for a reviewer. */
export function PromotionsPage() {
  useTitle('Promotion requests');
  const [params, setParams] = useSearchParams();
  const state = STATES.find((s) => s === params.get('state')) ?? 'pending';
  const requests = useApi((signal) => registryApi.requests({ state }, signal), [state]);
  const [updated, setUpdated] = useState<Record<number, PromotionRequest>>({});
  return (
    <section aria-labelledby="promotions-title">
      <h1 id="promotions-title">Promotion requests</h1>
      <div className="toolbar">
        <label htmlFor="request-state">Show</label>
        <select id="request-state" value={state} onChange={(e) => setParams(e.target.value === 'pending' ? {} : { state: e.target.value })}>
          {STATES.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
      </div>
      {requests.error ? <ErrorMessage error={requests.error} what="promotion requests" /> : null}
      {requests.loading && !requests.data ? <Loading what="promotion requests" /> : null}
      {requests.data && requests.data.items.length === 0 ? (
        <EmptyState title={`No ${state} requests`} icon={GitPullRequestArrow} commands={['openexpert models promote churn 3 --to Production --reason "beats v2 on holdout"']}>
          A move into a gated stage or alias becomes a request that reviewers approve here; open one with:
        </EmptyState>
      ) : null}
      <div className="cards">
        {(requests.data?.items ?? []).map((r) => <RequestCardOwnLevel key={r.id} request={updated[r.id] ?? r} onChange={(u) => setUpdated((m) => ({ ...m, [u.id]: u }))} />)}
      </div>
    </section>
  );
}
