/**
 * Go xtaci/smux's defaults and id rules, as data (identical in Debian's 1.5.16 and upstream
 * 1.5.57; shared smux-notes.md §3, §5, §7, §13). Facts about the peer, for a session to
 * start from; not wisp-rx policy.
 * @packageDocumentation
 */

/** Go's `smux.DefaultConfig()`; times in milliseconds. */
export const SMUX_GO_DEFAULTS = {
  version: 1,
  /** A NOP every this long, busy or not. */
  keepAliveInterval: 10_000,
  /** Closed when no frame at all came in a tick of this length (so after T … 2T). */
  keepAliveTimeout: 30_000,
  /** The largest PSH payload Go sends (it accepts up to 65535 whatever this is). */
  maxFrameSize: 32_768,
  /** The session-wide receive budget (every PSH for a known stream takes from it). */
  maxReceiveBuffer: 4_194_304,
  /** v2: the window a receiver announces in every UPD (a constant, not free space). */
  maxStreamBuffer: 65_536,
} as const;

/** v2: the window a sender assumes for a new stream until the first UPD replaces it. */
export const SMUX_INITIAL_PEER_WINDOW = 262_144;

/** Go's accept backlog: when full, its receive loop (so the whole session) stops reading. */
export const SMUX_GO_ACCEPT_BACKLOG = 1024;

/**
 * The first stream id a Go peer opens: its counter starts at 1 (client) or 0 (server) and
 * adds 2 before each use, so a Go client opens 3, 5, 7 … and a Go server 2, 4, 6 …
 * (the Rust `smux` crate's client starts at 1). Go checks neither parity nor zero on receipt.
 */
export const SMUX_GO_FIRST_STREAM_ID = { client: 3, server: 2 } as const;
