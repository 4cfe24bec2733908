// Reading a request body with a cap, the same way in every runtime: the Node entry hands the
// handler a `readBody(cap)` on its light request object (node.js), a fetch Request (Workers, Deno)
// is read from its stream. Nothing above the cap is buffered. Runtime-agnostic (fetch API only).

/**
 * Reads a request body up to `cap` bytes from the Node entry's `readBody(cap)` or a fetch Request's
 * stream. Returns { bytes: Uint8Array, over: false }, or { over: true } when the declared length is over
 * `cap` (nothing read) or once more than `cap` arrived.
 */
export async function readRequestBody(request, cap) {
  // A declared length over the cap is refused before a byte is read.
  if (Number(request.headers.get('content-length') ?? NaN) > cap) return { over: true };
  if (typeof request.readBody === 'function') return request.readBody(cap);
  const stream = request.body;
  if (!stream || typeof stream.getReader !== 'function') return { bytes: new Uint8Array(0), over: false };
  const reader = stream.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > cap) {
      await reader.cancel().catch(() => {});
      return { over: true };
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return { bytes, over: false };
}

