// One active health probe of one upstream: the interface, and the real one over undici.
import { Agent, request } from 'undici';

/** What to probe: `GET http://{address}{path}`, with no full answer after `timeoutMs` a failure. */
export interface ProbeTarget {
  /** host:port, as in the config. */
  address: string;
  path: string;
  timeoutMs: number;
}

/**
 * A probe's answer: the response status, or why there was none, in words fit for the
 * "upstream unhealthy" log line: `timeout`, `connect ECONNREFUSED`, `connection closed`, ...
 */
export type ProbeResult = { status: number } | { error: string };

export interface Probe {
  /** Probes `target` once; never rejects (a failure is a result). Stops when `signal` aborts. */
  run(target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult>;
}

/**
 * Probes over undici with connect, header and body timeouts of `timeoutMs` each, and a deadline
 * of `timeoutMs` for the whole exchange. The body is read to its end, so an upstream that sends
 * headers and then stalls fails the probe.
 *
 * Each probe opens its own connection (`reset`): a probe then also proves the upstream still
 * accepts connections, which a kept-alive probe connection to a wedged process would not.
 */
export class HttpProbe implements Probe {
  /** One agent per connect timeout; undici sets that timeout per agent, not per request. */
  private readonly agents = new Map<number, Agent>();

  async run(target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(target.timeoutMs)]);
    try {
      const res = await request(`http://${target.address}${target.path}`, {
        method: 'GET',
        dispatcher: this.agent(target.timeoutMs),
        headersTimeout: target.timeoutMs,
        bodyTimeout: target.timeoutMs,
        reset: true,
        signal: deadline,
      });
      // Read to the end; iterating rejects when the body fails or stalls. (`dump` resolves
      // even when undici's body timeout destroyed the body, which passed a stalled probe.)
      for await (const chunk of res.body) void chunk;
      return { status: res.statusCode };
    } catch (err) {
      return { error: describeProbeError(err) };
    }
  }

  /** Closes every connection the probe holds. */
  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map((a) => a.destroy()));
  }

  private agent(timeoutMs: number): Agent {
    let agent = this.agents.get(timeoutMs);
    if (!agent) {
      agent = new Agent({ connect: { timeout: timeoutMs } });
      this.agents.set(timeoutMs, agent);
    }
    return agent;
  }
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

/** The cause of a failed probe in a few words: `timeout`, `connect ECONNREFUSED`, ... */
export function describeProbeError(err: unknown): string {
  const e = (err ?? {}) as { name?: unknown; code?: unknown; syscall?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (e.name === 'TimeoutError' || TIMEOUT_CODES.has(code)) return 'timeout';
  if (e.name === 'AbortError' || code === 'UND_ERR_ABORTED') return 'aborted';
  if (code === 'UND_ERR_SOCKET') return 'connection closed';
  if (code.startsWith('E') && typeof e.syscall === 'string') return `${e.syscall} ${code}`;
  if (code) return `error ${code}`;
  return `error ${typeof e.name === 'string' ? e.name : 'unknown'}`;
}
