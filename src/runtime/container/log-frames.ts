/**
 * Container logs as lines. Without a TTY the engine multiplexes stdout and stderr into frames of
 * an 8-byte header (stream, 0, 0, 0, big-endian length) and the payload.
 */
export function demuxLines(buffer: Buffer): string[] {
  const chunks: Buffer[] = [];
  let offset = 0;
  const framed =
    buffer.length >= 8 && buffer[0]! <= 2 && buffer[1] === 0 && buffer[2] === 0 && buffer[3] === 0;
  if (!framed) chunks.push(buffer);
  else {
    while (offset + 8 <= buffer.length) {
      const length = buffer.readUInt32BE(offset + 4);
      chunks.push(buffer.subarray(offset + 8, offset + 8 + length));
      offset += 8 + length;
    }
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}
