import http from 'node:http';
import https from 'node:https';

export interface HttpReply {
  readonly status: number;
  readonly text: string;
}

/** Idle connections are closed before a typical server's keep-alive limit (uvicorn's is 5 s). */
const IDLE_MS = 4_000;

/**
 * Requests to one server over kept-alive connections, at most `maxSockets` open at once (further requests
 * queue for a free one). `fetch` opens its connections through a shared pool with per-request overhead
 * that costs more than a small model's inference; this is node:http with its own agent. A request that
 * fails on a reused connection the server had just closed is sent once more on a new one.
 */
export class KeepAliveClient {
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;

  constructor(
    readonly base: string,
    maxSockets = 32,
  ) {
    const secure = new URL(base).protocol === 'https:';
    this.transport = secure ? https : http;
    const options = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, timeout: IDLE_MS, scheduling: 'lifo' as const };
    this.agent = secure ? new https.Agent(options) : new http.Agent(options);
  }

  /** The status and body text; rejects when the server cannot be reached or has not answered within `timeoutMs`. */
  async request(path: string, init: { method?: string; body?: string; timeoutMs: number }): Promise<HttpReply> {
    try {
      return await this.once(path, init);
    } catch (err) {
      if ((err as { staleSocket?: boolean }).staleSocket) return this.once(path, init);
      throw err;
    }
  }

  private once(path: string, init: { method?: string; body?: string; timeoutMs: number }): Promise<HttpReply> {
    return new Promise<HttpReply>((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = init.body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(init.body) };
      const req = this.transport.request(this.base + path, { method: init.method ?? 'GET', agent: this.agent, headers });
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      };
      const timer = setTimeout(() => {
        fail(new Error(`no answer within ${init.timeoutMs} ms`));
        req.destroy();
      }, init.timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => {
        const stale = req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
        fail(Object.assign(err, { staleSocket: stale }));
      });
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('error', fail);
        res.on('aborted', () => fail(new Error('the connection closed before the answer was complete')));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') });
        });
      });
      req.end(init.body);
    });
  }

  /** Closes every connection; requests still in flight fail. */
  close(): void {
    this.agent.destroy();
  }
}
