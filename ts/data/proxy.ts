// The request lifecycle on a worker: early filter, route, rate limit, select,
// proxy with backpressure both ways, answer, log. One Exchange per request is
// also the upstream client's dispatch handler, so the per-request path allocates little.
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { PickRequest } from '../balance/policy.js';
import type { Logger } from '../log/logger.js';
import { nowUs } from '../hotpath/clock.js';
import { BodySource } from './body.js';
import { classify, statusLine, REASONS, type Failure } from './errors.js';
import {
  forwardingLines,
  joinResponseHead,
  RequestHeaders,
  upstreamHeaders,
  type ForwardingFacts,
} from './headers.js';
import { peerAddress } from './peer.js';
import type { Abortable, DispatchHandler, DispatchOptions } from './pool.js';
import { BodyKind, type ResponseHead } from './response-head.js';
import type { ClusterRuntime, RouteRuntime, Runtime } from './runtime.js';

/** What every request on one worker shares. */
export interface WorkerContext {
  runtime: Runtime;
  /** The access logger, or null when access logs are off. */
  access: Logger | null;
  /** Logger for state flips seen by this worker (passive ejections). */
  events: Logger;
  /** Requests being handled now; the drain waits for 0. */
  inflight: number;
  onIdle: (() => void) | null;
}

/**
 * The request headers of the request being handled. A handler runs to its end before uWS
 * calls the next one, and nothing keeps them past it, so one object serves every request.
 */
const HEADERS = new RequestHeaders();
const collect = (name: string, value: string): void => HEADERS.add(name, value);

/** Methods that may be sent twice (RFC 9110 section 9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const NO_HEADER_VALUES: readonly string[] = [];
const NOT_TRIED: readonly number[] = [];
/** The facts forwardingLines reads, filled in for each request (it keeps none of them). */
const FORWARDING_FACTS: ForwardingFacts = {
  client: '',
  peer: '',
  peerTrusted: false,
  mode: 'replace',
  scheme: 'http',
};
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The uWS handler for every request on every listener. */
export function handle(
  ctx: WorkerContext,
  scheme: 'http' | 'https',
  res: HttpResponse,
  req: HttpRequest,
): void {
  // The clock is read only for the access log's duration.
  const started = ctx.access !== null ? performance.now() : 0;
  const rt = ctx.runtime;
  const method = req.getCaseSensitiveMethod();
  const rawPath = req.getUrl();
  const query = req.getQuery();
  const headers = HEADERS;
  headers.reset();
  req.forEach(collect);
  const peer = peerAddress(res);

  const targetLength = rawPath.length + (query === undefined ? 0 : query.length + 1);
  const refused = earlyFilter(rt, method, targetLength, headers);
  if (refused !== 0) return localReply(ctx, res, started, method, rawPath, refused, peer, true);

  const names = rt.router.headerNames;
  const values = names.length === 0 ? NO_HEADER_VALUES : names.map((n) => headers.get(n));
  const found = rt.router.route(method, headers.host, rawPath, values);
  if (found.kind !== 'match') {
    const status = found.kind === 'bad_path' ? 400 : found.kind === 'not_found' ? 404 : 405;
    const extra = found.kind === 'method_not_allowed' ? ['allow', found.allow.join(', ')] : null;
    return localReply(ctx, res, started, method, rawPath, status, peer, hasBody(headers), extra);
  }

  const route = rt.routes[found.route];
  const peerTrusted = isTrusted(rt, peer);
  const client = peerTrusted
    ? rt.hotpath.clientAddress(peer, headers.xForwardedFor, headers.forwarded, rt.trusted)
    : peer;
  let limitHeaders: string[] | null = null;
  if (route.limiter !== null) {
    const verdict = checkLimit(route, limitKey(route, headers, client));
    limitHeaders = verdict.headers;
    if (!verdict.allowed) {
      const close = hasBody(headers);
      return localReply(
        ctx,
        res,
        started,
        method,
        found.path,
        429,
        client,
        close,
        limitHeaders,
        route,
      );
    }
  }

  const target = query === undefined ? found.path : `${found.path}?${query}`;
  const fwd = FORWARDING_FACTS;
  fwd.client = client;
  fwd.peer = peer;
  fwd.peerTrusted = peerTrusted;
  fwd.mode = rt.config.forwarded_for;
  fwd.scheme = scheme;
  const exchange = new Exchange(
    ctx,
    res,
    route,
    method,
    target,
    upstreamHeaders(headers),
    forwardingLines(headers, fwd),
    client,
    started,
  );
  exchange.extraHeaders = limitHeaders;
  exchange.hashKey =
    route.cluster.config.policy === 'consistent_hash'
      ? hashKey(route.cluster, headers, client, found.path)
      : '';
  if (hasBody(headers))
    exchange.attachBody(rt.config.limits.max_body_bytes, rt.config.limits.client_body_timeout);
  exchange.start();
}

/** 0 when the request may go on, else the status it is refused with. */
function earlyFilter(rt: Runtime, method: string, targetLength: number, h: RequestHeaders): number {
  const limits = rt.config.limits;
  if (h.count > limits.max_header_count || h.bytes > limits.max_header_bytes) return 431;
  if (targetLength > limits.max_url_bytes) return 414;
  if (method !== 'GET' && !TOKEN.test(method)) return 400;
  // uWS reads the first of two Content-Length headers; two that differ are ambiguous framing.
  if (h.conflictingLength || h.repeatedHost) return 400;
  // A reverse proxy has no tunnel to open.
  if (method === 'CONNECT') return 501;
  if (h.hasContentLength && !/^\d{1,15}$/.test(h.contentLength)) return 400;
  if (h.hasTransferEncoding && h.transferEncoding.trim().toLowerCase() !== 'chunked') return 400;
  const max = limits.max_body_bytes;
  if (max > 0 && h.contentLength !== '' && Number(h.contentLength) > max) return 413;
  return 0;
}

function hasBody(h: RequestHeaders): boolean {
  return h.hasTransferEncoding || (h.hasContentLength && h.contentLength !== '0');
}

function isTrusted(rt: Runtime, peer: string): boolean {
  return rt.config.trusted_proxies.length > 0 && rt.trusted.contains(peer);
}

function limitKey(route: RouteRuntime, h: RequestHeaders, client: string): string {
  const key = route.limit!.key;
  if (key === 'client_ip') return client;
  if (key === 'route' || key === 'path') return '';
  // A request without the header or cookie is counted by its client address.
  const value = key.startsWith('header:')
    ? h.get(key.slice(7).toLowerCase())
    : cookie(h, key.slice(7));
  return value === '' ? `ip:${client}` : `k:${value}`;
}

/**
 * The limiter's verdict and the response headers that tell it: RateLimit-* on every answer,
 * plus Retry-After when the request is refused. The four RateLimit lines travel as the value of
 * the first: uWS writes `name: value` and CRLF without looking into the value, and every part
 * is Jetway's own (numbers, and the policy made of numbers), so one call into uWS writes them
 * all instead of four (measured: about 0.3 µs a request less).
 */
function checkLimit(route: RouteRuntime, key: string): { allowed: boolean; headers: string[] } {
  const d = route.limiter!.check(key, nowUs());
  const lines =
    `${route.limit!.rate}\r\nratelimit-remaining: ${d.remaining}` +
    `\r\nratelimit-reset: ${Math.ceil(d.resetMs / 1000)}\r\nratelimit-policy: ${route.limitPolicy}`;
  const headers = ['ratelimit-limit', lines];
  if (!d.allowed) {
    headers.push('retry-after', String(Math.max(1, Math.ceil(d.retryAfterMs / 1000))));
  }
  return { allowed: d.allowed, headers };
}

function hashKey(c: ClusterRuntime, h: RequestHeaders, client: string, path: string): string {
  const key = c.config.hash.key;
  if (key === 'client_ip') return client;
  if (key === 'path') return path;
  if (key.startsWith('header:')) return h.get(key.slice(7).toLowerCase());
  if (key.startsWith('cookie:')) return cookie(h, key.slice(7));
  return '';
}

function cookie(h: RequestHeaders, name: string): string {
  const raw = h.raw;
  for (let i = 0; i < h.size; i += 2) {
    if (raw[i] !== 'cookie') continue;
    for (const part of raw[i + 1].split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
    }
  }
  return '';
}

/** Answers the request from Jetway itself (inside the uWS handler, so no cork is needed). */
function localReply(
  ctx: WorkerContext,
  res: HttpResponse,
  started: number,
  method: string,
  path: string,
  status: number,
  client: string,
  close: boolean,
  extra: string[] | null = null,
  route?: RouteRuntime,
): void {
  res.writeStatus(statusLine(status));
  res.writeHeader('content-type', 'text/plain');
  if (extra !== null)
    for (let i = 0; i < extra.length; i += 2) res.writeHeader(extra[i], extra[i + 1]);
  res.end(`${REASONS[status] ?? 'Error'}\n`, close);
  ctx.access?.info(
    {
      method,
      path,
      route: route?.name,
      cluster: route?.cluster.name,
      status,
      duration_ms: round(performance.now() - started),
      client,
    },
    'request',
  );
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** How the response body is framed toward the client. */
const enum Framing {
  /** No body: HEAD, 204, 304. */
  None,
  /** Content-Length known: written with tryEnd. */
  Length,
  /** Length unknown: chunked toward the client. */
  Chunked,
}

/**
 * One proxied request: picks upstreams, dispatches, retries when safe, and
 * streams the response to the client. A protocol state machine, so some of
 * its methods run longer than the rest of the code. It is also what the
 * selection policy and the upstream client are handed, so a request allocates
 * no second object for either.
 */
class Exchange implements DispatchHandler, DispatchOptions, PickRequest {
  extraHeaders: string[] | null = null;
  hashKey = '';
  body: BodySource | null = null;
  private bodyTimer: NodeJS.Timeout | null = null;
  private totalTimer: NodeJS.Timeout | null = null;
  /** Upstreams that failed before the request was sent; rarely any. */
  tried: readonly number[] = NOT_TRIED;
  private attempts = 0;
  private upstream = -1;
  /** The UpstreamStates slot counted as in flight by this exchange, -1 when none. */
  private holding = -1;
  private upstreamRequest: Abortable | null = null;
  private resumeUpstream: (() => void) | null = null;
  /** The client went away, or Jetway cut the connection: res must not be touched. */
  private aborted = false;
  private finished = false;
  private responseStarted = false;
  private headWritten = false;
  private downstreamDone = false;
  private status = 0;
  /** The head to write before the first body byte (see ResponseHead.forwarded). */
  private head: Uint8Array | null = null;
  private framing = Framing.Chunked;
  private total = 0;
  /** Part of a Content-Length body was written with tryEnd. */
  private lengthStarted = false;
  private pending: Buffer | null = null;
  private pendingOffset = 0;
  private error = '';

  constructor(
    private readonly ctx: WorkerContext,
    private readonly res: HttpResponse,
    private readonly route: RouteRuntime,
    readonly method: string,
    /** The origin-form target sent upstream: normalised path and query. */
    readonly path: string,
    readonly headers: string[],
    readonly lines: string,
    /** The client's address after trusted-proxy resolution. */
    readonly clientIp: string,
    private readonly started: number,
  ) {
    ctx.inflight++;
    res.onAborted(() => this.onDownstreamAborted());
    const total = route.cluster.config.timeouts.total;
    if (total > 0) this.totalTimer = setTimeout(() => this.onTotalTimeout(), total);
  }

  attachBody(limit: number, timeoutMs: number): void {
    const body = new BodySource(this.res, limit, () => this.onBodyTooLarge());
    this.body = body;
    if (timeoutMs > 0) {
      this.bodyTimer = setTimeout(() => this.onBodyTimeout(), timeoutMs);
      body.onProgress = () => {
        if (body.complete) this.clearBodyTimer();
        else this.bodyTimer?.refresh();
      };
    }
  }

  /** Picks an upstream and dispatches; answers 503 when none is usable. */
  start(): void {
    if (!this.attempt()) this.fail(503, 'JETWAY_NO_UPSTREAM');
  }

  /** Dispatches to the upstream the policy picks; false when it picks none. */
  private attempt(): boolean {
    const cluster = this.route.cluster;
    const i = cluster.policy.pick(this);
    if (i < 0) return false;
    this.upstream = i;
    this.attempts++;
    this.holding = cluster.slots[i];
    this.ctx.runtime.states.acquire(this.holding);
    cluster.pools[i].dispatch(this, this);
    return true;
  }

  onConnect(request: Abortable): void {
    if (this.aborted) return request.abort();
    this.upstreamRequest = request;
  }

  /** The head as undici gives it: names and values that may be kept, so they are joined here. */
  onHeaders(status: number, raw: Buffer[], resume: () => void, reason: string): boolean {
    if (status < 200) return true; // 1xx: informational, the final answer follows
    if (this.aborted) return false;
    this.begin(status, resume);
    this.head = joinResponseHead(statusLine(status, reason), raw);
    const length = contentLength(raw);
    const none = this.method === 'HEAD' || status === 204 || status === 304;
    this.frame(length, none ? -1 : length >= 0 ? length : -2);
    return true;
  }

  /** The head as Jetway's own client reads it: valid during this call only. */
  onHead(head: ResponseHead, resume: () => void, bodyFollows: boolean): boolean {
    if (this.aborted) return false;
    this.begin(head.status, resume);
    const bytes = head.forwarded();
    const body = head.body;
    // The head is written with the first body bytes, in one cork; when they are not here yet
    // it must outlive the read buffer it points into.
    const soon =
      bodyFollows || body === BodyKind.None || (body === BodyKind.Length && head.length === 0);
    this.head = soon ? bytes : Buffer.from(bytes);
    this.frame(
      head.length,
      body === BodyKind.Length ? head.length : body === BodyKind.None ? -1 : -2,
    );
    return true;
  }

  private begin(status: number, resume: () => void): void {
    this.responseStarted = true;
    this.status = status;
    this.resumeUpstream = resume;
    this.judge(status);
  }

  /**
   * Chooses how the body reaches the client: `bodyLength` is its length when known, -1 when there
   * is none, and anything below that when it is delimited otherwise. `declared` is the
   * Content-Length passed on with a body-less answer.
   */
  private frame(declared: number, bodyLength: number): void {
    if (bodyLength === -1) {
      this.framing = Framing.None;
      const status = this.status;
      this.res.cork(() => this.endWithoutBody(status === 204 ? -1 : declared));
    } else if (bodyLength >= 0) {
      this.framing = Framing.Length;
      this.total = bodyLength;
    }
  }

  onData(chunk: Buffer): boolean {
    if (this.aborted || this.downstreamDone) return !this.aborted;
    let flowing = true;
    this.res.cork(() => {
      if (!this.headWritten) this.writeHead();
      flowing = this.framing === Framing.Length ? this.writeLength(chunk) : this.writeChunk(chunk);
    });
    return flowing;
  }

  onComplete(): void {
    if (!this.aborted && !this.downstreamDone) {
      this.res.cork(() => {
        if (!this.headWritten) this.writeHead();
        if (this.framing === Framing.Chunked || this.total === 0) {
          this.body?.abandon();
          this.res.end();
          this.downstreamDone = true;
        } else {
          // The upstream ended short of its Content-Length: the client must not see a clean end.
          this.cut('JETWAY_UPSTREAM_BODY_SHORT');
        }
      });
    }
    this.finish();
  }

  onError(err: Error): void {
    const failure = classify(err);
    this.upstreamRequest = null;
    this.releaseUpstream();
    if (this.aborted || this.downstreamDone) return this.finish();
    if (!this.responseStarted) {
      this.judgeFailure(failure);
      if (this.retryable(failure)) {
        if (failure.beforeSend) this.tried = [...this.tried, this.upstream];
        // A retry that finds no other upstream answers with what this attempt met.
        if (this.attempt()) return;
      }
      return this.fail(failure.status, failure.code);
    }
    if (!this.headWritten) return this.fail(failure.status, failure.code);
    // Headers already reached the client: only a cut connection can tell it the body is short.
    this.res.cork(() => this.cut(failure.code));
    this.finish();
  }

  private retryable(f: Failure): boolean {
    if (this.attempts > this.route.cluster.config.retries) return false;
    if (this.body !== null && this.body.pulled > 0) return false;
    if (f.beforeSend) return true;
    // A reused connection reset before any response byte, or a pipelined request left without an
    // answer: safe only for idempotent methods.
    const unanswered =
      f.code === 'JETWAY_UPSTREAM_RESET' || f.code === 'JETWAY_UPSTREAM_UNANSWERED';
    return unanswered && IDEMPOTENT.has(this.method);
  }

  /** Passive health: counts what live traffic says about the upstream. */
  private judge(status: number): void {
    const cluster = this.route.cluster;
    const passive = cluster.config.health.passive;
    if (status >= 500 && passive.count_5xx) this.countFailure(`status ${status}`);
    else this.ctx.runtime.states.recordSuccess(cluster.slots[this.upstream]);
  }

  private judgeFailure(f: Failure): void {
    if (f.source === 'upstream') this.countFailure(f.code);
  }

  private countFailure(cause: string): void {
    const cluster = this.route.cluster;
    const passive = cluster.config.health.passive;
    const slot = cluster.slots[this.upstream];
    const now = Date.now();
    if (
      this.ctx.runtime.states.recordFailure(slot, now, passive.max_failures, passive.eject_time)
    ) {
      this.ctx.events.warn(
        {
          cluster: cluster.name,
          upstream: cluster.addresses[this.upstream],
          cause,
          eject_ms: passive.eject_time,
        },
        'upstream ejected',
      );
    }
  }

  private writeHead(): void {
    const res = this.res;
    this.headWritten = true;
    // The status line and every forwarded field line in one call: uWS writes the status
    // between `HTTP/1.1 ` and a CRLF without looking into it, and each line was checked by the
    // reader (no CR, LF or other control byte inside), so the bytes are the response's own.
    res.writeStatus(this.head!);
    this.head = null;
    const extra = this.extraHeaders;
    if (extra !== null)
      for (let i = 0; i < extra.length; i += 2) res.writeHeader(extra[i], extra[i + 1]);
  }

  private endWithoutBody(length: number): void {
    this.body?.abandon();
    this.writeHead();
    if (length >= 0) this.res.writeHeader('content-length', String(length));
    this.res.endWithoutBody();
    this.downstreamDone = true;
  }

  /** Writes a Content-Length framed chunk; false when the client is slow (upstream paused). */
  private writeLength(chunk: Buffer): boolean {
    const res = this.res;
    if (!this.lengthStarted && chunk.length === this.total) {
      // The whole body at once: uWS keeps what the socket does not take, which is at most this
      // one read, and there is nothing left to pause.
      this.body?.abandon();
      res.end(chunk);
      this.downstreamDone = true;
      return true;
    }
    this.lengthStarted = true;
    const offset = res.getWriteOffset();
    if (offset + chunk.length >= this.total) this.body?.abandon();
    const [ok, done] = res.tryEnd(chunk, this.total);
    if (done) {
      this.downstreamDone = true;
      return true;
    }
    if (ok) return true;
    // The client's socket took part of it; the rest waits in a copy (the chunk is only lent).
    this.pending = Buffer.from(chunk);
    this.pendingOffset = offset;
    res.onWritable((at) => this.drainPending(at));
    return false;
  }

  private drainPending(at: number): boolean {
    if (this.aborted || this.pending === null) return true;
    const rest = this.pending.subarray(at - this.pendingOffset);
    if (at + rest.length >= this.total) this.body?.abandon();
    const [ok, done] = this.res.tryEnd(rest, this.total);
    if (done) this.downstreamDone = true;
    if (ok || done) {
      this.pending = null;
      this.resumeUpstream?.();
    }
    return ok;
  }

  private writeChunk(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    this.res.onWritable(() => {
      this.resumeUpstream?.();
      return true;
    });
    return false;
  }

  /** Answers with Jetway's own error status (nothing was written to the client yet). */
  private fail(status: number, code: string): void {
    if (this.finished) return;
    this.error = code;
    this.status = status;
    if (!this.aborted && !this.downstreamDone) {
      const closeAfter = this.body !== null && !this.body.complete;
      this.body?.abandon();
      this.res.cork(() => {
        this.res.writeStatus(statusLine(status));
        this.res.writeHeader('content-type', 'text/plain');
        this.res.end(`${REASONS[status]}\n`, closeAfter);
      });
      this.downstreamDone = true;
    }
    this.upstreamRequest?.abort();
    this.finish();
  }

  /** Closes the client connection mid-response, so a short body never looks complete. */
  private cut(code: string): void {
    this.error = code;
    this.aborted = true;
    this.res.close();
  }

  private onDownstreamAborted(): void {
    if (this.aborted) return;
    this.aborted = true;
    if (!this.downstreamDone) this.error ||= 'JETWAY_DOWNSTREAM_CLOSED';
    this.body?.fail(new Error('client closed the connection'));
    this.upstreamRequest?.abort();
    if (!this.responseStarted && this.upstream < 0) this.finish();
  }

  private onBodyTimeout(): void {
    this.bodyTimer = null;
    this.body?.fail(new Error('client body timeout'));
    if (this.responseStarted && this.headWritten) {
      if (!this.aborted) this.res.cork(() => this.cut('JETWAY_DOWNSTREAM_BODY_TIMEOUT'));
      this.upstreamRequest?.abort();
      return;
    }
    this.responseStarted = true; // no retry and no second answer
    this.fail(408, 'JETWAY_DOWNSTREAM_BODY_TIMEOUT');
  }

  /** The whole exchange ran past `timeouts.total`: 504 if nothing was sent yet, else a cut. */
  private onTotalTimeout(): void {
    this.totalTimer = null;
    this.body?.fail(new Error('total timeout'));
    if (this.headWritten) {
      if (!this.aborted) this.res.cork(() => this.cut('JETWAY_UPSTREAM_TOTAL_TIMEOUT'));
      this.upstreamRequest?.abort();
      return;
    }
    this.responseStarted = true;
    this.fail(504, 'JETWAY_UPSTREAM_TOTAL_TIMEOUT');
  }

  private onBodyTooLarge(): void {
    this.body?.fail(new Error('request body too large'));
    if (this.headWritten) {
      if (!this.aborted) this.res.cork(() => this.cut('JETWAY_DOWNSTREAM_BODY_TOO_LARGE'));
      this.upstreamRequest?.abort();
      return;
    }
    this.responseStarted = true;
    this.fail(413, 'JETWAY_DOWNSTREAM_BODY_TOO_LARGE');
  }

  private clearBodyTimer(): void {
    if (this.bodyTimer !== null) clearTimeout(this.bodyTimer);
    this.bodyTimer = null;
  }

  private releaseUpstream(): void {
    if (this.holding < 0) return;
    this.ctx.runtime.states.release(this.holding);
    this.holding = -1;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    // uWS may go on handing over body chunks after the response: they must touch nothing.
    this.body?.fail(new Error('the exchange is over'));
    this.clearBodyTimer();
    if (this.totalTimer !== null) clearTimeout(this.totalTimer);
    this.releaseUpstream();
    const ctx = this.ctx;
    ctx.access?.info(
      {
        method: this.method,
        path: this.path,
        route: this.route.name,
        cluster: this.route.cluster.name,
        upstream: this.upstream >= 0 ? this.route.cluster.addresses[this.upstream] : undefined,
        status: this.aborted && !this.downstreamDone ? 499 : this.status,
        duration_ms: round(performance.now() - this.started),
        client: this.clientIp,
        error: this.error || undefined,
        attempts: this.attempts > 1 ? this.attempts : undefined,
      },
      'request',
    );
    if (--ctx.inflight === 0) ctx.onIdle?.();
  }
}

/** The Content-Length in the upstream client's raw header list, -1 when absent or unusable. */
function contentLength(raw: Buffer[]): number {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length === 14 && name.toString('latin1').toLowerCase() === 'content-length') {
      const v = raw[i + 1].toString('latin1').trim();
      return /^\d{1,15}$/.test(v) ? Number(v) : -1;
    }
  }
  return -1;
}
