// Small HTTP client helpers over undici, for tests that need ordinary requests rather than
// exact bytes. Each HttpClient owns its connection pool and must be closed.
import { Agent, request, type Dispatcher } from 'undici';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Milliseconds from sending to the end of the body. */
  ms: number;
}

export interface RequestOptions {
  method?: Dispatcher.HttpMethod;
  headers?: Record<string, string>;
  body?: string | Buffer | NodeJS.ReadableStream;
  /** Abort after this long (10 s). */
  timeoutMs?: number;
}

export class HttpClient {
  readonly agent: Agent;

  constructor(
    readonly origin: string,
    options: Agent.Options = {},
  ) {
    this.agent = new Agent({ keepAliveTimeout: 1000, ...options });
  }

  async request(path: string, options: RequestOptions = {}): Promise<Answer> {
    const start = performance.now();
    const res = await request(this.origin + path, {
      method: options.method ?? 'GET',
      headers: options.headers,
      body: options.body as Dispatcher.DispatchOptions['body'],
      dispatcher: this.agent,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text, ms: performance.now() - start };
  }

  /** Requests `path`, expects 200, and parses the body as JSON (the scripted upstream's echo). */
  async json<T = EchoBody>(path: string, options: RequestOptions = {}): Promise<T> {
    const answer = await this.request(path, options);
    if (answer.status !== 200) throw new Error(`${path}: status ${answer.status}: ${answer.text}`);
    return JSON.parse(answer.text) as T;
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** What the scripted upstream's echo script answers. */
export interface EchoBody {
  upstream: string;
  method: string;
  target: string;
  headers: Array<[string, string]>;
  bodyLength: number;
  bodySha256: string;
}

/** One header of an undici answer as a single string ('' when absent). */
export function header(answer: Answer, name: string): string {
  const v = answer.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}
