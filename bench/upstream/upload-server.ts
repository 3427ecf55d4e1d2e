// The upstream of the upload scenario: reads each request body to its end, then answers
// "ok\n". nginx's `return` answers before it has read the body, which makes a proxy that
// streams the upload close its downstream connection; an upstream that reads first is what
// real upload endpoints look like. Run as its own process: `node upload-server.js PORT...`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

function handle(req: IncomingMessage, res: ServerResponse): void {
  req.on('data', () => {});
  req.once('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '3' });
    res.end('ok\n');
  });
}

const servers = process.argv.slice(2).map((port) => {
  const server = createServer({ keepAliveTimeout: 300_000, requestTimeout: 0 }, handle);
  server.listen(Number(port), '127.0.0.1');
  return server;
});

// Stopped by its handle with SIGTERM: close the listeners, then leave (idle keep-alive
// connections would otherwise hold the process).
process.once('SIGTERM', () => {
  for (const s of servers) {
    s.close();
    s.closeAllConnections();
  }
  process.exit(0);
});
