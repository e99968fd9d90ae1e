'use strict';
// What a process spends while a scenario runs: garbage collections (PerformanceObserver on
// 'gc' entries, by kind), CPU time (process.cpuUsage) and peak memory (process.memoryUsage()
// sampled every `sampleMs`). Started and stopped inside the process being measured (the hosts
// of lib/host.js expose it as probeStart / probeStop).
const { PerformanceObserver, constants } = require('node:perf_hooks');
const { now } = require('./util');

// V8's GC types as Node reports them in entry.detail.kind.
const KINDS = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major', // mark-sweep-compact (full GC)
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor', // scavenge (young generation)
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', // incremental marking steps
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb', // weak callbacks
  2: 'minor', // minor mark-compact (young generation, newer V8s)
};

function startProbe({ sampleMs = 50 } = {}) {
  const gc = { major: 0, minor: 0, incremental: 0, weakcb: 0, other: 0, majorMs: 0, minorMs: 0, totalMs: 0 };
  const count = (entries) => {
    for (const e of entries) {
      const kind = KINDS[e.detail ? e.detail.kind : e.kind] || 'other';
      gc[kind]++;
      gc.totalMs += e.duration;
      if (kind === 'major') gc.majorMs += e.duration;
      if (kind === 'minor') gc.minorMs += e.duration;
    }
  };
  const observer = new PerformanceObserver((list) => count(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });

  const peak = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0, heapPlusExternal: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.external = Math.max(peak.external, m.external);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
    peak.heapPlusExternal = Math.max(peak.heapPlusExternal, m.heapUsed + m.external);
  };
  sample();
  const timer = setInterval(sample, sampleMs);
  timer.unref();
  const cpu0 = process.cpuUsage();
  const t0 = now();

  return {
    stop() {
      const cpu = process.cpuUsage(cpu0);
      const ms = now() - t0;
      sample();
      clearInterval(timer);
      // Entries are delivered asynchronously: take the ones not yet delivered.
      count(observer.takeRecords());
      observer.disconnect();
      return { ms, gc, cpu: { userUs: cpu.user, systemUs: cpu.system, totalUs: cpu.user + cpu.system }, peak };
    },
  };
}

module.exports = { startProbe };
