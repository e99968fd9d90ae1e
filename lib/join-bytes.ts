/** `head` followed by `body` in one new buffer (the copy a split message otherwise avoids). */
export function joinBytes(head: Uint8Array, body: Uint8Array): Uint8Array {
  const joined = new Uint8Array(head.length + body.length);
  joined.set(head, 0);
  joined.set(body, head.length);
  return joined;
}
