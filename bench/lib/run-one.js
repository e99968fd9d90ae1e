'use strict';
// Runs one scenario for one implementation pair and closes everything it opened. Used in a
// fresh child process per run (lib/isolate.js, the default) or in the runner's own process
// (--in-process).
const { now, settle, deadline, heapAfterGc } = require('./util');

/** Resolves { values, raw, ms, heapAfterClose, warnings?, adapterWarnings?, error? }. */
async function runOne(scenario, pair, params, quick) {
  const tracked = [];
  const warnings = [];
  const ctx = {
    quick,
    track(resource) {
      tracked.push(resource);
      return resource;
    },
    warn(message) {
      warnings.push(message);
    },
  };
  const t0 = now();
  const result = {};
  try {
    const out = await deadline(scenario.run(pair, params, ctx), scenario.timeoutMs(params), `${scenario.id} for ${pair.name}`);
    Object.assign(result, out);
  } catch (error) {
    result.error = String((error && error.stack) || error);
  }
  // Close in reverse order of creation: client, server, then targets. Bounded in time.
  for (const resource of tracked.reverse()) {
    if (!(await settle(resource.close(), 15000))) ctx.warn('a resource did not close within 15 s');
  }
  result.ms = now() - t0;
  const adapterWarnings = {};
  for (const a of new Set([pair.client, pair.server])) {
    const taken = typeof a.takeWarnings === 'function' ? a.takeWarnings() : {};
    if (Object.keys(taken).length) adapterWarnings[a.name] = taken;
  }
  if (Object.keys(adapterWarnings).length) result.adapterWarnings = adapterWarnings;
  result.heapAfterClose = (await heapAfterGc()).heapUsed;
  if (warnings.length) result.warnings = warnings;
  return result;
}

module.exports = { runOne };
