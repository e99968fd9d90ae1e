/**
 * Turns a CONNECT hostname into the one address the dialer will connect to, having checked
 * every address the name resolves to. The dialer gets an IP literal, so no second lookup
 * happens between the check and the connect (no DNS-rebinding window).
 * @module
 */
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { CloseReason } from '../wisp/packet/close-reason.js';
import { DialError } from './dial-error.js';
import { parseTargetHost } from './hostname.js';
import { checkAddress, POLICY_DEFAULTS, type DestinationPolicy } from './policy.js';

/** The checked address to dial. */
export interface ResolvedTarget {
  readonly address: string;
  readonly family: 4 | 6;
}

/** The shape of `dns.promises.lookup` with `all: true` that {@link resolveTarget} needs. */
export type LookupFunction = (
  hostname: string,
  options: { all: true; verbatim: true },
) => Promise<ReadonlyArray<{ address: string; family: number }>>;

/** Options for {@link resolveTarget}. */
export interface ResolveOptions {
  /** Replaces `dns.promises.lookup` (tests, custom resolvers). */
  readonly lookup?: LookupFunction;
  /**
   * Abandons the wait (rejects with a DialError, reason 0x02 Voluntary). The lookup itself
   * cannot be cancelled and finishes in the background; its result is ignored.
   */
  readonly signal?: AbortSignal;
}

const defaultLookup: LookupFunction = (hostname, options) => dns.lookup(hostname, options);

/**
 * Resolves `hostname` (a DNS name, an IP literal, or a bracketed IPv6 literal) and checks
 * the result against `policy`. IP literals skip DNS but are still checked.
 *
 * Rejects with a {@link DialError}:
 * - 0x41 InvalidInfo: the hostname is malformed;
 * - 0x48 HostBlocked: a literal while `allowDirectIp` is off, or ANY resolved address is
 *   blocked — a name whose answers mix public and private addresses is refused outright;
 * - 0x42 HostUnreachable: the lookup failed (ENOTFOUND, EAI_AGAIN, ...) or returned nothing;
 * - 0x02 Voluntary: `signal` was aborted.
 * Otherwise resolves with the first answer, in the resolver's own order.
 */
export async function resolveTarget(
  hostname: string,
  policy: DestinationPolicy,
  options: ResolveOptions = {},
): Promise<ResolvedTarget> {
  const { signal } = options;
  throwIfAborted(signal);
  const literal = literalTarget(hostname, policy);
  if (literal !== undefined) return literal;
  const host = parseTargetHost(hostname) as { kind: 'name'; name: string };

  let answers: ReadonlyArray<{ address: string; family: number }>;
  try {
    answers = await withAbort((options.lookup ?? defaultLookup)(host.name, { all: true, verbatim: true }), signal);
  } catch (err) {
    if (err instanceof DialError) throw err;
    const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'lookup failed';
    throw new DialError(CloseReason.HostUnreachable, `cannot resolve ${host.name}: ${code}`, { cause: err });
  }
  if (answers.length === 0) throw new DialError(CloseReason.HostUnreachable, `${host.name} has no addresses`);

  // Every answer must pass, not just the one we pick: otherwise the choice of answer
  // (resolver order, a later fallback) would decide whether the policy holds.
  for (const { address } of answers) {
    const refused = checkAddress(policy, address);
    if (refused !== undefined) {
      throw new DialError(refused, `${host.name} resolves to ${address}, which the policy refuses`);
    }
  }
  const first = answers[0];
  // checkAddress accepted it, so it is an IP literal; take the family from the text,
  // not from the resolver's claim.
  return { address: first.address, family: isIP(first.address) as 4 | 6 };
}

/**
 * {@link resolveTarget} without the wait for an IP literal (checked, no DNS): the dialler
 * can connect in the same turn. `undefined` for a name, which needs the lookup.
 * @throws DialError 0x41 for a malformed hostname, 0x48 for a literal the policy refuses.
 */
export function literalTarget(hostname: string, policy: DestinationPolicy): ResolvedTarget | undefined {
  const host = parseTargetHost(hostname);
  if (host === undefined) throw new DialError(CloseReason.InvalidInfo, `invalid hostname ${JSON.stringify(hostname)}`);
  if (host.kind !== 'ip') return undefined;
  if (!(policy.allowDirectIp ?? POLICY_DEFAULTS.allowDirectIp)) {
    throw new DialError(CloseReason.HostBlocked, `IP literal ${host.address} refused: direct IPs are disabled`);
  }
  const refused = checkAddress(policy, host.address);
  if (refused !== undefined) throw new DialError(refused, `address ${host.address} refused by policy`);
  return { address: host.address, family: host.family };
}

function abortError(signal: AbortSignal): DialError {
  return new DialError(CloseReason.Voluntary, 'dial aborted', { cause: signal.reason });
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

function withAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}
