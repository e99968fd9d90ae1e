'use strict';
// The stream handle every adapter returns, so scenario code is written once:
//   stream.write(bytes) -> Promise   resolves when the implementation can take more (backpressure)
//   stream.onData(cb)                cb(Uint8Array) for each received chunk; chunks that arrive
//                                    before a callback is set are kept and delivered to it
//   stream.onClose(cb)               cb(info) once, when the stream closed (either side)
//   stream.close()                   closes the stream (idempotent)
// Adapters subclass BaseStream and call _data(chunk) / _closed(info).

class BaseStream {
  constructor() {
    this.closed = false;
    this.closeInfo = undefined;
    this._dataCb = undefined;
    this._early = [];
    this._closeCbs = [];
  }

  onData(cb) {
    this._dataCb = cb;
    const early = this._early;
    this._early = [];
    for (const chunk of early) cb(chunk);
  }

  onClose(cb) {
    if (this.closed) cb(this.closeInfo);
    else this._closeCbs.push(cb);
  }

  _data(chunk) {
    if (this._dataCb) this._dataCb(chunk);
    else this._early.push(chunk);
  }

  _closed(info) {
    if (this.closed) return;
    this.closed = true;
    this.closeInfo = info;
    const cbs = this._closeCbs;
    this._closeCbs = [];
    for (const cb of cbs) cb(info);
  }
}

/** Outbound buffer size above which a write waits (same figure for every adapter). */
const HIGH_WATER_MARK = 1024 * 1024;

module.exports = { BaseStream, HIGH_WATER_MARK };
