/** The yamux family (hashicorp/yamux, net-mux 1.0): the wire codec and each variant's behaviour. The session comes with the new core. */
export * from './frame.js';
export * from './variants.js';
