/** The yamux family (hashicorp/yamux, net-mux 1.0): the wire codec, each variant's behaviour, the protocol and the session. */
export * from './frame.js';
export * from './variants.js';
export { YAMUX_INITIAL_WINDOW, YamuxReason, resolveYamuxConfig, type YamuxConfig, type ResolvedYamuxConfig } from './config.js';
export { yamuxProtocol, type YamuxProtocol, type YamuxSettled } from './protocol.js';
export { YamuxSession } from './session.js';
export type { YamuxFrame } from './wire.js';
