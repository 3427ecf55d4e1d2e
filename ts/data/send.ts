// How a request head reaches an upstream socket. Node's socket.write takes a head through the
// Writable stream machinery, a write request and libuv before the one send it ends in, which
// costs more than the rest of the request path's JavaScript; the native addon sends it straight
// to the descriptor instead (native/napi/src/socket.rs) when nothing is queued on the socket.
// Without the addon, or when a hot-path backend other than native is forced, socket.write does
// it all.
import type net from 'node:net';
import { BACKEND_VARIABLE } from '../hotpath/load.js';
import { loadNativeAddon } from '../hotpath/native.js';

type Send = (fd: number, text: string) => number;

let sendNative: Send | null | undefined;

function nativeSend(): Send | null {
  if (sendNative !== undefined) return sendNative;
  const forced = process.env[BACKEND_VARIABLE];
  sendNative = null;
  if (forced === undefined || forced === '' || forced === 'auto' || forced === 'native') {
    try {
      sendNative = loadNativeAddon().socketSend;
    } catch {
      // No addon on this machine: socket.write serves.
    }
  }
  return sendNative;
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
    left = sendNative!(fd, text);
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
