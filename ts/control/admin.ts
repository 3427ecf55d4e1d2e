// The admin listener: /healthz, /status, /reload. Bound to loopback by
// default; it is for operators, never for clients.
import { createServer, type Server } from 'node:http';
import type { Logger } from '../log/logger.js';

export interface AdminHandlers {
  /** Whether every worker listens and the daemon is not shutting down. */
  ready(): boolean;
  status(): unknown;
  /** Loads the config file again; resolves to the problems found, empty when applied. */
  reload(): Promise<string[]>;
}

export function startAdmin(
  address: string,
  port: number,
  handlers: AdminHandlers,
  log: Logger,
): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: string, type = 'text/plain'): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    };
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      return handlers.ready() ? send(200, 'ok\n') : send(503, 'not ready\n');
    }
    if (path === '/status' && req.method === 'GET') {
      return send(200, `${JSON.stringify(handlers.status(), null, 2)}\n`, 'application/json');
    }
    if (path === '/reload' && req.method === 'POST') {
      void handlers
        .reload()
        .then((problems) =>
          problems.length === 0 ? send(200, 'reloaded\n') : send(400, `${problems.join('\n')}\n`),
        );
      return;
    }
    send(404, 'not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      log.info({ listener: `${address}:${port}` }, 'admin listening');
      resolve(server);
    });
  });
}
