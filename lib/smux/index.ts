/** smux (xtaci/smux v1/v2): the wire codec, Go's defaults, and the session on the core. */
export * from './frame.js';
export * from './defaults.js';
export * from './config.js';
export { SmuxSendWindow, SmuxReceiveWindow } from './windows.js';
export { SmuxWire, SmuxReason } from './wire.js';
export { smuxProtocol, smuxSettings, decodeSmux, type SmuxSettled } from './protocol.js';
export { SmuxSession, type SmuxCloseOptions } from './session.js';
