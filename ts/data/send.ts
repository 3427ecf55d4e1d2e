// How a request head, and request body bytes read from the client, reach an upstream socket.
// Node's socket.write takes bytes through the Writable stream machinery, a write request and
// libuv before the one send it ends in, which for a head costs more than the rest of the request
// path's JavaScript, and a body chunk would first have to be copied out of uWS's read buffer.
// The native addon sends them straight to the descriptor instead (native/napi/src/socket.rs)
// when nothing is queued on the socket. Without the addon, or when a hot-path backend other than
// native is forced, socket.write does it all.
import type net from 'node:net';
import { BACKEND_VARIABLE } from '../hotpath/load.js';
import { loadNativeAddon } from '../hotpath/native.js';

interface Senders {
  text(fd: number, text: string): number;
  bytes(fd: number, bytes: Uint8Array): number;
}

let senders: Senders | null | undefined;

function nativeSend(): Senders | null {
  if (senders !== undefined) return senders;
  const forced = process.env[BACKEND_VARIABLE];
  senders = null;
  if (forced === undefined || forced === '' || forced === 'auto' || forced === 'native') {
    try {
      const addon = loadNativeAddon();
      senders = { text: addon.socketSend, bytes: addon.socketSendBytes };
    } catch {
      // No addon on this machine: socket.write serves.
    }
  }
  return senders;
}

/** The descriptor of a connected socket, -1 when it has none Jetway can write to. */
export function socketFd(socket: net.Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 && nativeSend() !== null ? fd : -1;
}

/**
 * Writes `text` as UTF-8 to the connected `socket` whose descriptor is `fd` (from socketFd).
 * Bytes the kernel did not take, and any send that failed, go through socket.write after what
 * was sent, so the order on the wire holds and the socket reports a fault as it always does.
 */
export function writeText(socket: net.Socket, fd: number, text: string): void {
  if (fd < 0 || socket.writableLength !== 0) {
    socket.write(text, 'utf8');
    return;
  }
  let left: number;
  try {
    left = senders!.text(fd, text);
  } catch {
    left = -1;
  }
  if (left === 0) return;
  if (left < 0) {
    socket.write(text, 'utf8');
    return;
  }
  const bytes = Buffer.from(text, 'utf8');
  socket.write(bytes.subarray(bytes.length - left));
}

/**
 * Writes `bytes` to `socket` (descriptor `fd`, from socketFd) now: what the kernel does not take
 * is copied into socket.write, behind what was sent, so `bytes` may be a view that is only valid
 * during this call (a chunk uWS lends). Returns socket.write's verdict: false when the socket
 * now holds bytes back and the caller should wait for 'drain'.
 */
export function writeBytes(socket: net.Socket, fd: number, bytes: Uint8Array): boolean {
  if (fd < 0 || socket.writableLength !== 0) return socket.write(Buffer.from(bytes));
  let left: number;
  try {
    left = senders!.bytes(fd, bytes);
  } catch {
    left = bytes.length;
  }
  if (left === 0) return true;
  return socket.write(Buffer.from(bytes.subarray(bytes.length - left)));
}
