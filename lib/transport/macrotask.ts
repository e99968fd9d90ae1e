/**
 * Runs a function on a later macrotask, after pending I/O: `setImmediate` in Node, a
 * `MessageChannel` message in browsers (which have no `setImmediate`, and whose `setTimeout(0)`
 * is clamped to 4 ms once nested). Universal: imports nothing from Node.
 * @module
 */

type Task = () => void;

function viaMessageChannel(): (task: Task) => void {
  const queue: Task[] = [];
  const channel = new MessageChannel();
  channel.port1.onmessage = () => queue.shift()?.();
  // Where ports can keep a process alive (Node without setImmediate), this one must not.
  (channel.port1 as { unref?: () => void }).unref?.();
  return (task) => {
    queue.push(task);
    channel.port2.postMessage(0);
  };
}

const immediate = (globalThis as { setImmediate?: (task: Task) => unknown }).setImmediate;

/** Schedules `task` on the next macrotask. */
export const nextMacrotask: (task: Task) => void =
  typeof immediate === 'function'
    ? (task) => void immediate(task)
    : typeof MessageChannel === 'function'
      ? viaMessageChannel()
      : (task) => void setTimeout(task, 0);
