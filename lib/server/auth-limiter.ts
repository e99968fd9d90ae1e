/**
 * Slows credential guessing: failed password or key attempts are counted per client
 * address, and an address that fails too often in a window is locked out for a while.
 * @module
 */
import type { Redis } from 'ioredis';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { ExtensionBuilder, ProtocolExtension } from '../wisp/extensions/extension.js';
import { ExtensionId } from '../wisp/extensions/ids.js';
import { CloseReason } from '../wisp/packet/close-reason.js';
import { loadOnUse } from './load-on-use.js';

type RateLimiters = typeof import('rate-limiter-flexible');

/**
 * Where failed attempts are counted: this process (`memory`), the cluster primary shared by
 * every worker (`cluster`: the primary must run `new RateLimiterClusterMaster()`), or a Redis
 * server shared by gateways on several machines.
 */
export type AuthStore = 'memory' | 'cluster' | { readonly redis: Redis; readonly prefix?: string };

/** Limits of {@link AuthLimiter}. */
export interface AuthLimits {
  /** Failed attempts one address may make within `windowMs` before it is locked out; 0 = no limit. */
  readonly maxFailures: number;
  /** The window failures are counted over, in ms. */
  readonly windowMs: number;
  /** How long a locked-out address is refused without its credentials being checked, in ms. */
  readonly lockoutMs: number;
}

const AUTH_IDS: ReadonlySet<number> = new Set([ExtensionId.Password, ExtensionId.KeyAuth]);

/**
 * Counts failed authentications per client address with `rate-limiter-flexible` (keys expire
 * with their window, so memory follows recent failures, not history). A locked-out address is
 * refused with Throttled (0x49) before its credentials are looked at, so guessing from it
 * stops entirely for `lockoutMs`; a success clears its count. Other addresses are not
 * affected. The count lives where {@link AuthStore} says: shared by `--workers` through the
 * cluster primary, or by several gateways through Redis. A store that cannot be reached fails
 * open (credentials are still checked): the limiter's outage must not lock everyone out.
 */
export class AuthLimiter {
  /**
   * The count. A shared store is asked from the start (other processes count too); this
   * process's own is made with the first failure, so that a gateway nobody fails to log in
   * to never loads rate-limiter-flexible (1 MB of heap, 36 modules).
   */
  private failures: RateLimiterAbstract | undefined;
  private readonly makeFailures: (() => RateLimiterAbstract) | undefined;

  constructor(
    private readonly limits: AuthLimits,
    /** Told each time an address is locked out, and each time a locked address is refused. */
    private readonly onLocked: (client: string, attempt: 'locking' | 'refused') => void = () => undefined,
    store: AuthStore = 'memory',
    /** Told of every failed attempt, with the extension that failed (metrics). */
    private readonly onFailure: (client: string, extensionId: number) => void = () => undefined,
  ) {
    if (limits.maxFailures > 0) {
      const options = { points: limits.maxFailures, duration: limits.windowMs / 1000, keyPrefix: 'wisp-rx-auth' };
      const load = () => loadOnUse<RateLimiters>('rate-limiter-flexible');
      if (store === 'memory') this.makeFailures = () => new (load().RateLimiterMemory)(options);
      else if (store === 'cluster') this.failures = new (load().RateLimiterCluster)({ ...options, timeoutMs: 2000 });
      else this.failures = new (load().RateLimiterRedis)({ ...options, storeClient: store.redis, keyPrefix: `${store.prefix ?? 'wisp-rx:'}auth` });
    }
  }

  /** True while `client` is locked out. */
  async locked(client: string): Promise<boolean> {
    if (!this.failures) return false;
    const record = await this.failures.get(client).catch(() => null);
    return record !== null && record.consumedPoints >= this.limits.maxFailures;
  }

  /** Records one failed attempt; the one that reaches the limit starts the lockout. */
  async failed(client: string): Promise<void> {
    const failures = (this.failures ??= this.makeFailures?.());
    if (!failures) return;
    const record = await failures.penalty(client, 1).catch(() => undefined);
    if (record && record.consumedPoints >= this.limits.maxFailures) {
      await failures.block(client, this.limits.lockoutMs / 1000).catch(() => undefined);
      this.onLocked(client, 'locking');
    }
  }

  /** A successful login clears the address's failures. */
  async succeeded(client: string): Promise<void> {
    await this.failures?.delete(client).catch(() => undefined);
  }

  /**
   * The builders with each authentication extension (password, key auth) wrapped so that its
   * `authenticate()` first refuses a locked-out `client`, waits for `turn` (an Ed25519
   * verification costs ~1 ms of CPU, so a handshake burst is spread over turns too), and
   * reports its outcome here.
   */
  guard(builders: readonly ExtensionBuilder[], client: string, turn?: () => Promise<void>): ExtensionBuilder[] {
    if (!this.failures && !this.makeFailures && !turn) return [...builders];
    return builders.map((builder) =>
      AUTH_IDS.has(builder.id)
        ? { id: builder.id, create: (role) => this.guardOne(builder.create(role), client, turn) }
        : builder,
    );
  }

  /** `turn`, when given, is awaited before the credentials are checked (fair scheduling). */
  private guardOne(extension: ProtocolExtension, client: string, turn?: () => Promise<void>): ProtocolExtension {
    if (!extension.authenticate) return extension;
    // A prototype link rather than a copy: every other member still comes from the original.
    const guarded = Object.create(extension) as { -readonly [K in keyof ProtocolExtension]: ProtocolExtension[K] };
    guarded.authenticate = async (): Promise<number | undefined> => {
      if (await this.locked(client)) {
        this.onLocked(client, 'refused');
        return CloseReason.Throttled;
      }
      if (turn) await turn();
      const reason = await extension.authenticate!();
      if (reason === undefined) await this.succeeded(client);
      else {
        this.onFailure(client, extension.id);
        await this.failed(client);
      }
      return reason;
    };
    return guarded;
  }
}
