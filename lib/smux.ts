/**
 * wisp-rx/smux — xtaci/smux v1 and v2 on the core, over any byte-stream `Transport`: the
 * session, its close reasons, Go's defaults and the config checks. Universal (no Node
 * built-ins), like `wisp-rx`; `wisp-rx/node` re-exports it. A program that speaks only Wisp
 * does not load it (docs/architecture.md, "Heap baseline and V8's marking threshold").
 * @packageDocumentation
 */
export {
  SmuxSession,
  SmuxReason,
  SMUX_GO_DEFAULTS,
  resolveSmuxConfig,
  verifySmuxConfig,
  type SmuxCloseOptions,
  type SmuxConfig,
  type ResolvedSmuxConfig,
  type SmuxVersion,
} from './smux/index.js';
