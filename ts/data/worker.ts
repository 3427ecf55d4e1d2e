// A data-plane worker thread: its own uWS app on every listener (uWS sets
// SO_REUSEPORT, so all workers share the ports), its own upstream pools, and the
// config snapshot the control plane last pushed.
import { parentPort, workerData } from 'node:worker_threads';
import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import type { Config } from '../config/schema.js';
import { UpstreamStates, type UpstreamStateBuffers } from '../health/state.js';
import { loadChosenHotPath, type HotPathChoice, type HotPathShared } from '../hotpath/load.js';
import { componentLogger } from '../log/logger.js';
import { handle, type WorkerContext } from './proxy.js';
import { Runtime } from './runtime.js';
import { loadUws } from './uws.js';

export interface WorkerInit {
  id: number;
  config: Config;
  states: UpstreamStateBuffers;
  hotpath: HotPathShared;
  /** The hot-path backends, resolved once by the control plane so all workers agree. */
  choice: HotPathChoice;
  generation: number;
}

/** Messages from the control plane. */
export type ToWorker =
  | { type: 'config'; config: Config; states: UpstreamStateBuffers; generation: number }
  | { type: 'drain'; timeoutMs: number };

/** Messages to the control plane. */
export type FromWorker =
  | { type: 'ready'; id: number; hotpath: string; limits: string }
  | { type: 'failed'; id: number; error: string }
  | { type: 'drained'; id: number; cut: number };

const init = workerData as WorkerInit;
const port = parentPort!;
const log = componentLogger('worker', init.config.log.level).child({ worker: init.id });

function post(msg: FromWorker): void {
  port.postMessage(msg);
}

function main(): void {
  const uws = loadUws();
  // uWS writes a `uWebSockets: 20` header on every response unless its loop is told to be
  // silent; this config key (the number is uWS.js's own) does that, so no response names the
  // proxy software. It applies to this thread's loop, hence in every worker.
  uws._cfg('999999990007');
  const hotpath = loadChosenHotPath(init.choice, init.hotpath);
  const ctx: WorkerContext = {
    runtime: new Runtime(init.config, hotpath, new UpstreamStates(init.states), init.generation),
    access: init.config.log.access ? componentLogger('access', init.config.log.level) : null,
    events: componentLogger('health', init.config.log.level),
    inflight: 0,
    onIdle: null,
  };

  // Plain listeners share one app; each TLS listener has its own, with its certificate.
  const plain = uws.App().any('/*', (res, req) => handle(ctx, 'http', res, req));
  const apps: TemplatedApp[] = [plain];
  const sockets: us_listen_socket[] = [];
  let pending = init.config.listeners.length;
  for (const l of init.config.listeners) {
    let app = plain;
    if (l.tls) {
      const opts = { cert_file_name: l.tls.cert_file, key_file_name: l.tls.key_file };
      app = uws.SSLApp(opts).any('/*', (res, req) => handle(ctx, 'https', res, req));
      apps.push(app);
    }
    app.listen(l.address, l.port, (socket) => {
      if (!socket) {
        const error = `cannot listen on ${l.address}:${l.port} (address in use or not local)`;
        // Every uWS handle must be gone before this thread ends, or Node aborts the process.
        sockets.forEach((s) => uws.us_listen_socket_close(s));
        sockets.length = 0;
        for (const app of apps) (app as unknown as { close(): void }).close();
        post({ type: 'failed', id: init.id, error });
        port.close();
        return;
      }
      sockets.push(socket);
      if (--pending === 0)
        post({ type: 'ready', id: init.id, hotpath: hotpath.backend, limits: init.choice.limits });
    });
  }

  // A bug in one request must not end the thread: a worker that exits with uWS handles open
  // aborts the whole process. Log it and keep serving.
  process.on('uncaughtException', (err) => {
    log.error({ error: err.message, stack: err.stack }, 'uncaught error in worker');
  });

  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'config') {
      const old = ctx.runtime;
      ctx.runtime = new Runtime(
        msg.config,
        hotpath,
        new UpstreamStates(msg.states),
        msg.generation,
      );
      // Requests already running keep the old pools until they finish.
      void old.close();
      log.info({ generation: msg.generation }, 'config applied');
    } else if (msg.type === 'drain') {
      sockets.forEach((s) => uws.us_listen_socket_close(s));
      sockets.length = 0;
      drain(ctx, msg.timeoutMs, () => {
        const cut = ctx.inflight;
        // close() ends every connection; the republish's types lack it.
        for (const app of apps) (app as unknown as { close(): void }).close();
        void ctx.runtime.destroy().finally(() => {
          post({ type: 'drained', id: init.id, cut });
          port.close();
        });
      });
    }
  });
}

/** Calls `done` once no request is in flight, or after `timeoutMs` at the latest. */
function drain(ctx: WorkerContext, timeoutMs: number, done: () => void): void {
  let called = false;
  const once = (): void => {
    if (called) return;
    called = true;
    clearTimeout(timer);
    done();
  };
  const timer = setTimeout(once, timeoutMs);
  ctx.onIdle = once;
  if (ctx.inflight === 0) once();
}

try {
  main();
} catch (err) {
  post({ type: 'failed', id: init.id, error: (err as Error).message });
  port.close();
}
