// Request heads and body bytes written through the native addon straight to the socket, with
// socket.write taking what the kernel did not: the bytes reach the peer whole and in order,
// however full the socket.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { socketFd, writeBytes, writeText } from '../../ts/data/send.js';

describe('writeText and writeBytes', () => {
  let server: net.Server;
  let port = 0;
  const received: Buffer[] = [];
  let peer: net.Socket | null = null;

  before(async () => {
    server = net.createServer((s) => {
      peer = s;
      s.pause(); // nothing is read until the test says so, so the sender's buffers fill up
      s.on('data', (d) => received.push(d));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  after(() => {
    peer?.destroy();
    server.close();
  });

  it('delivers every text whole and in order when the peer stops reading', async () => {
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
    const fd = socketFd(socket);
    if (process.env.JETWAY_HOTPATH === undefined || process.env.JETWAY_HOTPATH === 'native') {
      assert.ok(fd >= 0, 'the native addon should give a descriptor to write to');
    }
    // Far more than the loopback socket buffers hold, in texts of many sizes, one with
    // characters that take several bytes in UTF-8, and one too long for the addon's buffer.
    const texts: string[] = [];
    for (let i = 0; i < 400; i++) texts.push(`${i}:${'x'.repeat((i * 7919) % 30000)}é€\n`);
    texts.push(`long:${'y'.repeat(70 * 1024)}\n`);
    for (const t of texts) writeText(socket, fd, t);

    peer!.resume();
    const expected = Buffer.from(texts.join(''), 'utf8');
    const deadline = Date.now() + 10_000;
    while (Buffer.concat(received).length < expected.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(Buffer.concat(received).equals(expected), 'the bytes differ from what was written');
    socket.destroy();
  });

  it('delivers bytes from a view reused after every call, between texts, in order', async () => {
    received.length = 0;
    const earlier = peer;
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
    for (let i = 0; i < 200 && peer === earlier; i++) await new Promise((r) => setTimeout(r, 10));
    assert.notEqual(peer, earlier, 'the server should have accepted the connection');
    const fd = socketFd(socket);
    // One buffer stands for uWS's read buffer: each call gets a view of it, and the buffer is
    // overwritten right after, so bytes the kernel did not take must have been copied.
    const scratch = Buffer.alloc(256 * 1024);
    const expected: Buffer[] = [];
    for (let i = 0; i < 120; i++) {
      const size = 1 + ((i * 104729) % scratch.length);
      scratch.fill(i % 251, 0, size);
      const view = new Uint8Array(scratch.buffer, scratch.byteOffset, size);
      const line = `${size.toString(16)}\r\n`;
      writeText(socket, fd, line);
      writeBytes(socket, fd, view);
      expected.push(Buffer.from(line), Buffer.from(scratch.subarray(0, size)));
      scratch.fill(0xee);
    }
    const total = Buffer.concat(expected);
    assert.ok(socket.writableLength > 0, 'the test should have filled the socket');

    peer!.resume();
    const deadline = Date.now() + 10_000;
    while (Buffer.concat(received).length < total.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(Buffer.concat(received).equals(total), 'the bytes differ from what was written');
    socket.destroy();
  });
});
