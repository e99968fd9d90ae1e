'use strict';
// The implementations the bench compares. An implementation is a client adapter talking to a
// server adapter (both from bench/impl/<name>.js); mixed pairs reuse the same adapters.
// To add one: write bench/impl/<name>.js exporting the adapter interface (see README.md),
// add it to ADAPTERS, and add the pairs to IMPLEMENTATIONS.
const ADAPTERS = {
  'plain-relay': () => require('./plain-relay'),
  'wisp-js': () => require('./wisp-js'),
  'wisp-rx': () => require('./wisp-rx'),
  'direct-tcp': () => require('./direct-tcp'),
};

const IMPLEMENTATIONS = [
  { name: 'plain-relay', client: 'plain-relay', server: 'plain-relay' },
  { name: 'wisp-js', client: 'wisp-js', server: 'wisp-js' },
  { name: 'wisp-js->wisp-rx', client: 'wisp-js', server: 'wisp-rx' },
  { name: 'wisp-rx->wisp-js', client: 'wisp-rx', server: 'wisp-js' },
  { name: 'wisp-rx', client: 'wisp-rx', server: 'wisp-rx' },
  // The floor under every proxy (no proxy at all), only where a scenario is bound by it.
  { name: 'direct-tcp', client: 'direct-tcp', server: 'direct-tcp', scenarios: ['churn', 'small'] },
];

/** Loads an adapter by name; a MODULE_NOT_FOUND while loading it becomes { unavailable }. */
function adapter(name) {
  const load = ADAPTERS[name];
  if (!load) throw new Error(`unknown adapter ${name}`);
  try {
    return load();
  } catch (error) {
    if (error && error.code === 'MODULE_NOT_FOUND') return { name, unavailable: error.message.split('\n')[0] };
    throw error;
  }
}

/**
 * Resolves an implementation: { name, client, server, skip, error } where skip is why it cannot
 * run (for the role `role`: 'server' = a gateway that dials, 'hold' = a server that holds
 * streams) and error is set when an adapter is there but fails to load. An implementation that
 * lists its `scenarios` is skipped in the others.
 */
function resolve(impl, role = 'server', scenarioId = undefined) {
  if (impl.scenarios && scenarioId && !impl.scenarios.includes(scenarioId)) {
    return { name: impl.name, skip: `reference for ${impl.scenarios.join(', ')} only` };
  }
  const client = adapter(impl.client);
  const server = adapter(impl.server);
  const reasons = [];
  const errors = [];
  for (const [side, a] of [
    ['client', client],
    [role, server],
  ]) {
    if (a.unavailable) {
      reasons.push(a.name === 'wisp-rx' ? `wisp-rx gateway not built yet (${a.unavailable})` : a.unavailable);
      continue;
    }
    let ok;
    try {
      ok = a.available()[side];
    } catch (error) {
      // Present but broken (not merely missing): an error for this implementation, not a skip.
      errors.push(`${a.name} failed to load: ${(error && error.message) || error}`);
      continue;
    }
    if (ok !== true) reasons.push(ok);
  }
  if (client.protocol && server.protocol && client.protocol !== server.protocol) reasons.push('protocols differ');
  return {
    name: impl.name,
    clientName: impl.client,
    serverName: impl.server,
    client,
    server,
    error: [...new Set(errors)].join('; ') || undefined,
    skip: errors.length ? undefined : [...new Set(reasons)].join('; ') || undefined,
  };
}

module.exports = { ADAPTERS, IMPLEMENTATIONS, adapter, resolve };
