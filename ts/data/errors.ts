// How an upstream failure becomes a status code, and the short answers Jetway
// writes itself. Nothing internal (addresses, stacks, error text) reaches the
// client; the reason goes to the access log as a stable code.

/** Where a failure came from (downstream = client side, upstream = server side). */
export type FailureSource = 'upstream' | 'downstream' | 'internal';

export interface Failure {
  /** Stable code, e.g. JETWAY_UPSTREAM_REFUSED. */
  code: string;
  status: number;
  source: FailureSource;
  /** Nothing of the request reached the upstream: any method may be retried elsewhere. */
  beforeSend: boolean;
}

/**
 * The upstream client refused the request itself (a header it will not send): the client's
 * fault, answered 400, never retried and never counted against the upstream.
 */
const REFUSED_BY_CLIENT_LIBRARY = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED']);

const CONNECT_PHASE = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Classifies an upstream client's error (undici's codes; Jetway's client reuses them). */
export function classify(err: unknown): Failure {
  const code = (err as { code?: string } | null)?.code ?? '';
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return {
      code: 'JETWAY_UPSTREAM_CONNECT_TIMEOUT',
      status: 504,
      source: 'upstream',
      beforeSend: true,
    };
  }
  if (CONNECT_PHASE.has(code)) {
    return { code: 'JETWAY_UPSTREAM_REFUSED', status: 502, source: 'upstream', beforeSend: true };
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    return {
      code: 'JETWAY_UPSTREAM_HEADER_TIMEOUT',
      status: 504,
      source: 'upstream',
      beforeSend: false,
    };
  }
  // The upstream stopped taking the request body, or stopped sending the response body before
  // any of it reached the client: a timeout, as the header timeout is, not a reset.
  if (code === 'UND_ERR_BODY_TIMEOUT') {
    return {
      code: 'JETWAY_UPSTREAM_IDLE_TIMEOUT',
      status: 504,
      source: 'upstream',
      beforeSend: false,
    };
  }
  if (REFUSED_BY_CLIENT_LIBRARY.has(code)) {
    return {
      code: 'JETWAY_DOWNSTREAM_BAD_REQUEST',
      status: 400,
      source: 'downstream',
      beforeSend: false,
    };
  }
  if (code === 'UND_ERR_ABORTED') {
    return { code: 'JETWAY_ABORTED', status: 502, source: 'internal', beforeSend: false };
  }
  if (code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH') {
    return {
      code: 'JETWAY_DOWNSTREAM_BODY_SHORT',
      status: 400,
      source: 'downstream',
      beforeSend: false,
    };
  }
  if (code === 'JETWAY_UPSTREAM_INVALID_RESPONSE') {
    return { code, status: 502, source: 'upstream', beforeSend: false };
  }
  // A pipelined request behind one whose exchange failed: that failure was counted already.
  if (code === 'JETWAY_UPSTREAM_UNANSWERED') {
    return { code, status: 502, source: 'internal', beforeSend: false };
  }
  // Resets, closes and other protocol errors: the request may have been seen.
  return { code: 'JETWAY_UPSTREAM_RESET', status: 502, source: 'upstream', beforeSend: false };
}

/** Reason phrases for the statuses Jetway writes or passes on. */
export const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Content Too Large',
  414: 'URI Too Long',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const STATUS_LINES = new Map<number, string>();

/** `"502 Bad Gateway"`, cached; `reason` from the upstream wins when given. */
export function statusLine(status: number, reason?: string): string {
  if (reason !== undefined && reason !== '' && reason !== REASONS[status]) {
    return `${status} ${reason}`;
  }
  let line = STATUS_LINES.get(status);
  if (line === undefined) {
    line = `${status} ${REASONS[status] ?? ''}`.trimEnd();
    STATUS_LINES.set(status, line);
  }
  return line;
}
