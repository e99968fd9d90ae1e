'use strict';
// One scenario for one implementation in a process of its own, so that no implementation
// inherits another's heap, JIT state or leftover timers. Both halves live here:
// runIsolated() (parent) forks this file; the child runs the job it is sent over IPC, replies
// with the result and exits by itself.
const { fork } = require('node:child_process');
const { deadline, settle } = require('./util');

/** Parent: runs `job` = { scenario, impl, quick } in a fresh child; resolves its result. */
async function runIsolated(job, timeoutMs) {
  const child = fork(__filename, [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const reply = new Promise((resolve, reject) => {
    child.once('message', resolve);
    exited.then(({ code, signal }) => reject(new Error(`bench child exited (${code ?? signal}) before replying`)));
  });
  child.send(job);
  try {
    return await deadline(reply, timeoutMs, `${job.scenario} for ${job.impl} (child process)`);
  } catch (error) {
    return { error: String((error && error.stack) || error) };
  } finally {
    if (!(await settle(exited, 10000))) {
      child.kill('SIGKILL');
      await settle(exited, 5000);
    }
  }
}

/** Child: runs the job, sends { ...result, warnings }, then disconnects and lets the process end. */
function childMain() {
  const { IMPLEMENTATIONS, resolve } = require('../impl');
  const { runOne } = require('./run-one');
  const processWarnings = [];
  process.on('uncaughtException', (error) => processWarnings.push(`uncaught exception: ${(error && error.stack) || error}`));
  process.on('unhandledRejection', (error) => processWarnings.push(`unhandled rejection: ${(error && error.stack) || error}`));
  process.once('message', async ({ scenario: id, impl: name, quick }) => {
    let result;
    try {
      const scenario = require(`../scenarios/${id}`);
      const impl = IMPLEMENTATIONS.find((i) => i.name === name);
      const pair = resolve(impl, scenario.role || 'server', scenario.id);
      result = pair.error ? { error: pair.error } : await runOne(scenario, pair, scenario.params(quick), quick);
    } catch (error) {
      result = { error: String((error && error.stack) || error) };
    }
    if (processWarnings.length) result.warnings = [...(result.warnings || []), ...processWarnings];
    process.send(result, () => {
      process.disconnect();
      // Everything was closed; if something still holds the process open, end it anyway.
      setTimeout(() => {
        const handles = process._getActiveHandles().map((h) => (h && h.constructor ? h.constructor.name : typeof h));
        console.error(`bench child (${id}, ${name}): still running 5 s after finishing; open handles: ${handles.join(', ')}`);
        process.exit(2);
      }, 5000).unref();
    });
  });
}

if (require.main === module) childMain();

module.exports = { runIsolated };
