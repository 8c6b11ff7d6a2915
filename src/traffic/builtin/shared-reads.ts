/**
 * Client sockets that read into one shared buffer (net's documented `onread` option of
 * `new net.Socket()`), as the upstream sockets do: no buffer allocated per read (a 64 KB malloc,
 * a shrinking copy and an ArrayBuffer) and no readable-stream push and 'data' emit.
 *
 * net.Server has no `onread` option, so the accepted socket's handle moves into a new socket made
 * with one. That reads net's `_handle` and passes it as the constructor's `handle` option (what
 * net.Server itself does): neither is documented, so everything is checked and any surprise
 * leaves the accepted socket as it is (the caller then reads stream 'data' events).
 * shared-reads.test.ts fails when this Node no longer takes the shared path.
 */
import { type OnReadOpts, Socket, type SocketConstructorOpts } from 'node:net';

interface HandleCarrier {
  _handle: { readStart?: unknown; readStop?: unknown } | null;
}

/**
 * The accepted socket (from a server made with `pauseOnConnect: true`) as a socket whose reads
 * go to `onread`, or null when this Node does not allow it: the accepted socket is then unchanged
 * and still paused. The server keeps counting the connection until the new socket closes.
 */
export function withSharedReads(accepted: Socket, onread: OnReadOpts): Socket | null {
  const carrier = accepted as unknown as HandleCarrier;
  const handle = carrier._handle;
  if (
    accepted.destroyed ||
    handle === null ||
    typeof handle !== 'object' ||
    typeof handle.readStart !== 'function' ||
    typeof handle.readStop !== 'function'
  )
    return null;
  let socket: Socket;
  try {
    socket = new Socket({ handle, onread, readable: true, writable: true } as SocketConstructorOpts);
  } catch {
    return null;
  }
  if ((socket as unknown as HandleCarrier)._handle !== handle) return null;
  carrier._handle = null;
  // net.Server counts connections (close() waits for them) by the socket it accepted: that one
  // holds no handle now and is destroyed when the new one closes.
  socket.once('close', () => accepted.destroy());
  return socket;
}
