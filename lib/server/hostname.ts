/**
 * Validation of the hostname a client puts in a CONNECT packet, before anything is looked
 * up. It decides whether the target is an IP literal or a DNS name, so the policy and the
 * resolver agree on that without re-parsing.
 * @module
 */
import { isIP } from 'node:net';

/** DNS limit on a name's text form (RFC 1035, without the trailing dot). */
export const MAX_HOSTNAME_LENGTH = 253;

/** A CONNECT hostname after validation. */
export type TargetHost =
  /** An IP literal; `address` has brackets removed, ready for `net.connect`. */
  | { readonly kind: 'ip'; readonly address: string; readonly family: 4 | 6 }
  /** A DNS name, as the client sent it. */
  | { readonly kind: 'name'; readonly name: string };

// C0 and C1 controls, DEL, and any whitespace (including Unicode spaces and line separators).
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\s]/u;
// WHATWG URL "ends in a number": a last label of digits or 0x-hex makes the platform
// resolver read the whole name as an IPv4 number (127.1, 0x7f.1, 2130706433, 1.2.3.04).
const NUMERIC_LABEL = /^(?:0x[0-9a-f]*|[0-9]+)$/i;

/**
 * Validates a CONNECT hostname. Returns `undefined` (the caller answers 0x41 InvalidInfo) for:
 * empty or over {@link MAX_HOSTNAME_LENGTH} characters; control characters or whitespace;
 * brackets around anything but an IPv6 literal; empty or over-long (> 63) labels; and
 * non-canonical numeric IPv4 spellings (`127.1`, `0x7f.0.0.1`, `2130706433`), which are
 * refused rather than left to `getaddrinfo` to interpret.
 */
export function parseTargetHost(hostname: string): TargetHost | undefined {
  if (typeof hostname !== 'string') return undefined;
  if (hostname.length === 0 || hostname.length > MAX_HOSTNAME_LENGTH) return undefined;
  if (FORBIDDEN.test(hostname)) return undefined;
  if (hostname.startsWith('[')) {
    const inner = hostname.endsWith(']') ? hostname.slice(1, -1) : '';
    return isIP(inner) === 6 ? { kind: 'ip', address: inner, family: 6 } : undefined;
  }
  const family = isIP(hostname);
  if (family === 4 || family === 6) return { kind: 'ip', address: hostname, family };
  const labels = (hostname.endsWith('.') ? hostname.slice(0, -1) : hostname).split('.');
  if (labels.some((l) => l.length === 0 || l.length > 63)) return undefined;
  if (NUMERIC_LABEL.test(labels[labels.length - 1] ?? '')) return undefined;
  return { kind: 'name', name: hostname };
}

/** The form host patterns are matched against: lower case, no trailing dot, no brackets. */
export function hostKey(host: TargetHost): string {
  const text = host.kind === 'ip' ? host.address : host.name;
  return (text.endsWith('.') ? text.slice(0, -1) : text).toLowerCase();
}
