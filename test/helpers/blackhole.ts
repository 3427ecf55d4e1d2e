// A port whose TCP connects hang: a listening socket that never accepts and whose accept queue
// is already full, so the kernel drops further SYNs. That is how an upstream behind a dead
// route looks, and it makes a connect timeout testable on loopback. Node cannot listen without
// accepting, so a few lines of Python hold the socket.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { track } from './daemon.js';

const SCRIPT = `
import socket, sys
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(0)
port = s.getsockname()[1]
held = []
for _ in range(4):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(('127.0.0.1', port))
    except BlockingIOError:
        pass
    held.append(c)
print(port, flush=True)
sys.stdin.read()
`;

export interface Blackhole {
  port: number;
  address: string;
  stop(): Promise<void>;
}

export async function startBlackhole(): Promise<Blackhole> {
  const child: ChildProcess = track(spawn('python3', ['-c', SCRIPT], { stdio: 'pipe' }));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (l) => resolve(Number(l)));
    child.once('exit', (code) => reject(new Error(`blackhole exited with ${code}`)));
  });
  return {
    port,
    address: `127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
