// One interface for every selection policy; one file per policy beside this one.

/** What a policy may know about the cluster it picks from. */
export interface ClusterView {
  /** Number of upstreams in the cluster. */
  readonly size: number;
  /** Weight of upstream i (1 unless configured). */
  weight(i: number): number;
  /** Whether upstream i may get traffic now (healthy and not ejected). */
  usable(i: number): boolean;
  /** Requests in flight to upstream i, across every worker. */
  inflight(i: number): number;
}

/** What a policy may know about the request. */
export interface PickRequest {
  /** The client address, after trusted-proxy resolution. */
  clientIp: string;
  /** The cluster's hash key for this request ('' when the key is absent); hash policies only. */
  hashKey: string;
  /** Upstreams already tried for this request (retries); never picked again. Usually empty. */
  tried: readonly number[];
}

export interface SelectionPolicy {
  /** The index of the upstream for this request, or -1 when no usable, untried upstream is left. */
  pick(req: PickRequest): number;
}
