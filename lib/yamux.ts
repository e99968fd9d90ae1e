/**
 * wisp-rx/yamux — the yamux family on the core, over any byte-stream `Transport`: version 0 is
 * hashicorp/yamux (Go), version 1 is net-mux 1.0 (Rust). The session, its close reasons and
 * config, each variant's rules, the frame types and flags. Universal (no Node built-ins), like
 * `wisp-rx`; `wisp-rx/node` re-exports it. A program that speaks only Wisp does not load it
 * (docs/architecture.md, "Heap baseline and V8's marking threshold").
 * @packageDocumentation
 */
export {
  YamuxSession,
  YamuxReason,
  YAMUX_INITIAL_WINDOW,
  resolveYamuxConfig,
  yamuxVariant,
  HASHICORP_YAMUX,
  NET_MUX,
  YamuxFlag,
  YamuxType,
  YamuxGoAway,
  type YamuxConfig,
  type ResolvedYamuxConfig,
  type YamuxVariant,
  type YamuxVersion,
} from './yamux/index.js';
