'use strict';
// Parent side of lib/host.js: spawn a host, call its methods, shut it down.
const { fork } = require('node:child_process');
const path = require('node:path');
const { deadline, settle, wallNow } = require('./util');

/**
 * Extra node flags for one kind of host, from BENCH_<LABEL>_NODE_FLAGS (e.g.
 * BENCH_CLIENT_NODE_FLAGS='--trace-gc'): to look inside one process of a multi-process scenario
 * without changing what the others run.
 */
function extraFlags(label) {
  // BENCH_HOST_FLAGS: for every host (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
  const flags = `${process.env.BENCH_HOST_FLAGS || ''} ${process.env[`BENCH_${label.toUpperCase()}_NODE_FLAGS`] || ''}`;
  return flags.split(/\s+/).filter(Boolean);
}

function spawnHost(label) {
  const child = fork(path.join(__dirname, 'host.js'), [], {
    execArgv: ['--expose-gc', ...extraFlags(label)],
    env: { ...process.env, BENCH_HOST_LABEL: label },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map();
  let exited = false;
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => {
    exited = true;
    for (const p of pending.values()) p.reject(new Error(`host ${label} exited (${code ?? signal})`));
    pending.clear();
    resolve({ code, signal });
  }));
  child.on('message', ({ id, result, error }) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    if (error) p.reject(new Error(`host ${label}: ${error}`));
    else p.resolve(result);
  });
  return {
    label,
    pid: child.pid,
    call(method, args, timeoutMs = 60000) {
      if (exited) return Promise.reject(new Error(`host ${label} has exited`));
      const id = nextId++;
      const p = new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
      child.send({ id, method, args });
      return deadline(p, timeoutMs, `host ${label} ${method}`);
    },
    /**
     * The host's shared clock (util.wallNow) minus ours, estimated over IPC from the quickest
     * of `samples` round trips (error at most half that round trip): subtract it from the
     * host's times to put them on this process's clock.
     */
    async clockOffset(samples = 7) {
      let best;
      for (let i = 0; i < samples; i++) {
        const t0 = wallNow();
        const { t } = await this.call('clock', {}, 5000);
        const t1 = wallNow();
        if (!best || t1 - t0 < best.rttMs) best = { offsetMs: t - (t0 + t1) / 2, rttMs: t1 - t0 };
      }
      return best;
    },
    /** Closes what the host opened, lets it exit by itself; kills it (by pid) if it does not. */
    async close() {
      if (exited) return { exitedByItself: true };
      await settle(this.call('shutdown', {}, 20000), 21000);
      if (child.connected) child.disconnect();
      if (await settle(exit, 10000)) return { exitedByItself: true };
      child.kill('SIGKILL');
      await settle(exit, 5000);
      return { exitedByItself: false };
    },
  };
}

module.exports = { spawnHost };
