import fs from 'node:fs';
import { invalidState } from '../../core/errors.js';
import { newHexId } from '../../core/ids.js';
import { renderJob, type KubernetesOptions } from './kubernetes.js';
import type { Executor } from './pipeline-runner.js';
import type { Pipeline } from './pipeline-spec.js';

export interface KubernetesApi {
  /** The API server, e.g. https://kubernetes.default.svc (its CA through NODE_EXTRA_CA_CERTS when self-signed). */
  readonly url: string;
  readonly token?: string;
  readonly pollMs?: number;
  readonly fetch?: typeof fetch;
}

interface JobStatus {
  readonly succeeded?: number;
  readonly failed?: number;
  readonly conditions?: readonly { readonly type: string; readonly status: string; readonly reason?: string; readonly message?: string }[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Steps as Kubernetes Jobs, submitted through the API server and watched (polled) to completion; the pods' logs
 * become the step's log. The runner keeps retrying, caching and checking outputs, so it must see the folder the
 * Jobs write to: run it where the workspace claim is mounted (a pod on the same PersistentVolumeClaim).
 */
export function kubernetesExecutor(pipeline: Pipeline, api: KubernetesApi, options: KubernetesOptions): Executor {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await (api.fetch ?? fetch)(`${api.url.replace(/\/+$/, '')}${path}`, {
      method,
      headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}), ...(api.token ? { authorization: `Bearer ${api.token}` } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (!res.ok) {
      let message = text.slice(0, 300);
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        // not a Status object
      }
      throw invalidState(`Kubernetes API ${method} ${path} answered ${res.status}: ${message}`);
    }
    return (path.endsWith('/log') ? text : JSON.parse(text)) as T;
  };
  const ns = encodeURIComponent(options.namespace);
  return {
    async run(step, ctx) {
      // The runner retries; a Job that retried by itself would multiply the attempts.
      const job = renderJob(pipeline, { ...step, retries: 0 }, { ...options, env: { ...(options.env ?? {}), ...ctx.env } }, newHexId(3));
      const name = job.metadata.name;
      await call('POST', `/apis/batch/v1/namespaces/${ns}/jobs`, job);
      let status: JobStatus = {};
      for (;;) {
        status = (await call<{ status?: JobStatus }>('GET', `/apis/batch/v1/namespaces/${ns}/jobs/${name}`)).status ?? {};
        const failed = status.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
        if ((status.succeeded ?? 0) > 0 || failed) break;
        await sleep(api.pollMs ?? 2_000);
      }
      const pods = await call<{ items: { metadata: { name: string } }[] }>('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(`job-name=${name}`)}`);
      const logs: string[] = [];
      for (const pod of pods.items) logs.push(await call<string>('GET', `/api/v1/namespaces/${ns}/pods/${encodeURIComponent(pod.metadata.name)}/log`));
      const failed = status.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
      fs.writeFileSync(ctx.logFile, `${logs.join('\n')}${failed ? `\n[job ${name} failed: ${failed.reason ?? ''} ${failed.message ?? ''}]\n` : ''}`);
      if (!failed) return { exitCode: 0, signal: null, timedOut: false };
      return { exitCode: 1, signal: null, timedOut: failed.reason === 'DeadlineExceeded' };
    },
  };
}
