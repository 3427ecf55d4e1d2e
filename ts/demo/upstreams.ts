// Demo upstreams for `jetway demo`: small HTTP services on fixed loopback ports
// that answer with their own name, so a newcomer sees where each request went.
import { createServer } from 'node:http';

/** The demo services and their ports; examples/demo.yaml points at the same ones. */
export const DEMO_UPSTREAMS = [
  { name: 'orders-a', port: 18081 },
  { name: 'orders-b', port: 18082 },
  { name: 'payments-v1', port: 18083 },
  { name: 'payments-v2', port: 18084 },
] as const;

export async function startDemoUpstreams(): Promise<void> {
  await Promise.all(DEMO_UPSTREAMS.map((u) => serve(u.name, u.port)));
}

function serve(name: string, port: number): Promise<void> {
  const server = createServer((req, res) => {
    if (req.url === '/healthz') return void res.end('ok\n');
    let received = 0;
    req.on('data', (chunk: Buffer) => (received += chunk.length));
    req.on('end', () => {
      const body = {
        upstream: name,
        method: req.method,
        path: req.url,
        received,
        headers: req.headers,
      };
      res.setHeader('content-type', 'application/json');
      res.end(`${JSON.stringify(body, null, 2)}\n`);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(new Error(`demo upstream ${name} on port ${port}: ${err.message}`)),
    );
    server.listen(port, '127.0.0.1', () => {
      server.unref();
      resolve();
    });
  });
}
