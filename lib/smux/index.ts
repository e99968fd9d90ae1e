/** smux (xtaci/smux v1/v2): the wire codec and Go's defaults. The session comes with the new core. */
export * from './frame.js';
export * from './defaults.js';
