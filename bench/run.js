'use strict';
// wisp-rx bench: every implementation on the same work, in the same process layout.
//   node bench/run.js [--quick] [--only=name,name] [--scenarios=id,id] [--out=path] [--in-process]
// Each implementation runs each scenario in a fresh child process (lib/isolate.js), so none
// inherits another's heap or JIT state; --in-process runs them all here (for --cpu-prof). Prints a table per scenario (absolute figure, ratio vs plain-relay, ratio vs wisp-js) and
// writes everything to bench/results/latest.json. See bench/README.md.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { IMPLEMENTATIONS, resolve } = require('./impl');
const { now } = require('./lib/util');
const { runOne } = require('./lib/run-one');
const { runIsolated } = require('./lib/isolate');
const { measureBundles, printBundles } = require('./bundle-size');
const { measureLoadHeap, printLoadHeap } = require('./load-heap');

const SCENARIO_FILES = ['single', 'cpu', 'multi', 'churn', 'scale-hold', 'scale-gateway', 'small-writes', 'many-streams', 'connections', 'burst-gateway', 'wan'];
const SCENARIOS = SCENARIO_FILES.map((file) => ({ file, ...require(`./scenarios/${file}`) }));
const REFERENCES = ['plain-relay', 'wisp-js'];

function parseArgs(argv) {
  const args = { quick: false, inProcess: false, only: undefined, scenarios: undefined, out: path.join(__dirname, 'results', 'latest.json') };
  for (const arg of argv) {
    const [key, value] = arg.split('=');
    if (key === '--quick') args.quick = true;
    else if (key === '--in-process') args.inProcess = true;
    else if (key === '--only') args.only = value.split(',');
    else if (key === '--scenarios') args.scenarios = value.split(',');
    else if (key === '--out') args.out = path.resolve(value);
    else if (key === '--help' || key === '-h') {
      console.log('usage: node bench/run.js [--quick] [--only=impl,...] [--scenarios=id,...] [--out=file.json] [--in-process]');
      console.log(`implementations: ${IMPLEMENTATIONS.map((i) => i.name).join(', ')}`);
      console.log(`scenarios: ${SCENARIOS.map((s) => (s.id === s.file ? s.id : `${s.id} (${s.file})`)).join(', ')}`);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg} (try --help)`);
  }
  return args;
}

function machine() {
  const cpus = os.cpus();
  let fdLimit;
  try {
    fdLimit = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  } catch {
    fdLimit = undefined;
  }
  return {
    cpu: cpus[0] ? cpus[0].model.trim() : 'unknown',
    cores: cpus.length,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    memoryMiB: Math.round(os.totalmem() / 1048576),
    fdLimit,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One result from a scenario's rounds: the median of each metric; every round kept in raw. */
function combineRounds(scenario, results) {
  if (results.length === 1) return results[0];
  const failed = results.find((r) => r.error);
  if (failed) return failed;
  const values = {};
  const spread = {};
  for (const m of scenario.metrics) {
    const xs = results.map((r) => r.values[m.key]);
    values[m.key] = median(xs);
    const finite = xs.filter(Number.isFinite);
    spread[m.key] = finite.length ? { min: Math.min(...finite), max: Math.max(...finite) } : {};
  }
  return {
    values,
    spread,
    raw: { rounds: results.map((r) => ({ values: r.values, raw: r.raw })) },
    ms: results.reduce((sum, r) => sum + r.ms, 0),
    heapAfterClose: Math.max(...results.map((r) => r.heapAfterClose)),
    ...(results.some((r) => r.warnings) ? { warnings: results.flatMap((r) => r.warnings || []) } : {}),
    ...(results[0].note ? { note: results[0].note } : {}),
    ...(results.some((r) => r.adapterWarnings) ? { adapterWarnings: results.map((r) => r.adapterWarnings || {}) } : {}),
  };
}

// ---- formatting ---------------------------------------------------------------------------

function fmt(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratio(value, ref) {
  if (!Number.isFinite(value) || !Number.isFinite(ref) || ref === 0) return '—';
  const r = value / ref;
  // Against a reference near zero (e.g. 0.01 B of external memory) the ratio says nothing.
  if (Math.abs(r) >= 1000) return `${r > 0 ? '>' : '<-'}999×`;
  return `${r.toFixed(2)}×`;
}

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r.length > 1 ? String(r[c] ?? '').length : 0))));
  return rows
    .map((r) => {
      if (r.length === 1) return `  ${r[0]}`;
      return `  ${r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('   ')}`;
    })
    .join('\n');
}

function printScenario(scenario, entry) {
  for (const metric of scenario.metrics) {
    console.log(`\n${scenario.title} — ${metric.label} (${metric.unit}, ${metric.better} is better)`);
    // The reference columns of the implementations this scenario runs.
    const references = REFERENCES.filter((name) => !scenario.implementations || scenario.implementations.includes(name));
    const refs = references.map((name) => entry.results[name] && entry.results[name].values && entry.results[name].values[metric.key]);
    // Several rounds: the median round's figure, then the lowest and highest round.
    const rounds = Object.values(entry.results).some((r) => r.spread);
    const rows = [['implementation', rounds ? `${metric.unit} (median)` : metric.unit, ...(rounds ? ['min', 'max'] : []), ...references.map((r) => `vs ${r}`)]];
    const skipped = new Map();
    for (const [name, result] of Object.entries(entry.results)) {
      if (result.notInScenario) continue; // said once, below the scenario's tables
      if (result.skipped) skipped.set(result.skipped, [...(skipped.get(result.skipped) || []), name]);
      else if (result.error) rows.push([name, 'error', ...(rounds ? ['', ''] : []), ...references.map(() => '')]);
      else {
        const v = result.values[metric.key];
        const range = result.spread ? result.spread[metric.key] : {};
        rows.push([name, `${fmt(v)}`, ...(rounds ? [fmt(range.min), fmt(range.max)] : []), ...refs.map((ref) => ratio(v, ref))]);
      }
    }
    console.log(table(rows));
    for (const [reason, names] of skipped) console.log(`  skipped ${names.join(', ')}: ${reason}`);
  }
  if (scenario.implementations) console.log(`\n  ${scenario.id} runs ${scenario.implementations.join(', ')} only`);
  for (const [name, r] of Object.entries(entry.results)) {
    if (r.error) console.log(`  ${name} error: ${r.error.split('\n')[0]}`);
    if (r.note) console.log(`  layout ${name}: ${r.note}`);
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const started = now();
  const report = {
    command: process.argv,
    quick: args.quick,
    isolation: args.inProcess ? 'one process for all runs' : 'a fresh process per implementation and scenario',
    startedAt: new Date().toISOString(),
    machine: machine(),
    implementations: [],
    scenarios: [],
    warnings: [],
  };
  const m = report.machine;
  console.log(`machine: ${m.cpu}, ${m.cores} cores, node ${m.node}, ${m.platform}, fd limit ${m.fdLimit}`);
  console.log(`mode: ${args.quick ? 'quick (smoke sizes; do not compare numbers with a full run)' : 'full'}; ${report.isolation}`);

  process.on('uncaughtException', (error) => report.warnings.push(`uncaught exception: ${(error && error.stack) || error}`));
  process.on('unhandledRejection', (error) => report.warnings.push(`unhandled rejection: ${(error && error.stack) || error}`));

  const impls = IMPLEMENTATIONS.filter((i) => !args.only || args.only.includes(i.name));
  // --scenarios takes ids or file names (the small-writes scenario's id is `small`).
  const scenarios = SCENARIOS.filter((s) => !args.scenarios || args.scenarios.includes(s.id) || args.scenarios.includes(s.file));
  if (args.scenarios) {
    const unknown = args.scenarios.filter((id) => !SCENARIOS.some((s) => s.id === id || s.file === id));
    if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')} (try --help)`);
  }
  for (const impl of impls) report.implementations.push({ name: impl.name, client: impl.client, server: impl.server, skipped: {} });

  const printedSkips = new Set();
  for (const scenario of scenarios) {
    const params = scenario.params(args.quick);
    const entry = { id: scenario.id, title: scenario.title, params, metrics: scenario.metrics, results: {} };
    report.scenarios.push(entry);
    console.log(`\n== ${scenario.title}  ${JSON.stringify(params)}`);
    // Scenarios whose figures swing from process to process (one-stream bulk transfer) run in
    // several rounds, each a fresh process per implementation, implementations interleaved;
    // the figure is the median over rounds.
    const rounds = args.inProcess || args.quick ? 1 : scenario.rounds || 1;
    const perImpl = new Map();
    for (let round = 1; round <= rounds; round++) {
      // Each round starts one implementation further along, so none always runs first (or
      // always right after the same neighbour) on a machine whose speed drifts.
      const order = impls.map((_, i) => impls[(i + round - 1) % impls.length]);
      for (const impl of order) {
        if (scenario.implementations && !scenario.implementations.includes(impl.name)) {
          entry.results[impl.name] = { skipped: `not run in ${scenario.id} (runs ${scenario.implementations.join(', ')})`, notInScenario: true };
          continue;
        }
        const pair = resolve(impl, scenario.role || 'server', scenario.id);
        if (pair.skip) {
          entry.results[impl.name] = { skipped: pair.skip };
          report.implementations.find((i) => i.name === impl.name).skipped[scenario.id] = pair.skip;
          const key = `${impl.name}: ${pair.skip}`;
          if (!printedSkips.has(key)) console.log(`  skip ${key}`);
          printedSkips.add(key);
          continue;
        }
        let result;
        if (pair.error) result = { error: pair.error };
        else if (args.inProcess) result = await runOne(scenario, pair, params, args.quick);
        else result = await runIsolated({ scenario: scenario.file, impl: impl.name, quick: args.quick }, scenario.timeoutMs(params) + 60000);
        for (const w of result.warnings || []) report.warnings.push(`${scenario.id}/${impl.name}: ${w}`);
        perImpl.set(impl.name, [...(perImpl.get(impl.name) || []), result]);
        const summary = result.error
          ? `ERROR ${result.error.split('\n')[0]}`
          : scenario.metrics.map((mt) => `${mt.label} ${fmt(result.values[mt.key])} ${mt.unit}`).join(', ');
        const label = rounds > 1 ? `${impl.name} [${round}/${rounds}]` : impl.name;
        console.log(`  ${label.padEnd(18)} ${summary}${result.ms ? `  (${(result.ms / 1000).toFixed(1)} s)` : ''}`);
      }
    }
    // Results in the implementations' order (the rounds rotate it).
    const ordered = {};
    for (const impl of impls) {
      if (perImpl.has(impl.name)) ordered[impl.name] = combineRounds(scenario, perImpl.get(impl.name));
      else if (entry.results[impl.name]) ordered[impl.name] = entry.results[impl.name];
    }
    entry.results = ordered;
    printScenario(scenario, entry);
  }

  // Not a speed figure, but what a browser downloads: printed with every run.
  report.bundles = await measureBundles();
  printBundles(report.bundles);
  report.loadHeap = measureLoadHeap();
  printLoadHeap(report.loadHeap);

  report.durationMs = now() - started;
  fs.mkdirSync(path.dirname(args.out), { recursive: true });
  fs.writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${path.relative(process.cwd(), args.out)} (${(report.durationMs / 1000).toFixed(1)} s)`);
  for (const w of report.warnings) console.log(`warning: ${w.split('\n')[0]}`);
  const failed = report.scenarios.some((s) => Object.values(s.results).some((r) => r.error));
  if (failed) process.exitCode = 1;

  // Everything is closed: the process should exit by itself. If something still holds it open,
  // say what and exit anyway (the timer is unref'd, so it never delays a clean exit).
  setTimeout(() => {
    const handles = process._getActiveHandles().map((h) => (h && h.constructor ? h.constructor.name : typeof h));
    console.error(`bench: still running 5 s after finishing; open handles: ${handles.join(', ')}`);
    process.exit(process.exitCode || 2);
  }, 5000).unref();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
