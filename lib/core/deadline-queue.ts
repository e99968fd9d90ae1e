/** What waits in a {@link DeadlineQueue}: its deadline now (0: none) and its place, set and cleared only by the queue. */
export interface DeadlineOwner {
  deadline: number;
  deadlineSlot: number;
  /** Its deadline passed (it is cleared first). */
  deadlinePassed(): void;
}

/**
 * Deadlines that all lie the same `ms` ahead when set, so that they come due in the order
 * they were set: a list and one native timer (for the first one) instead of a timer each.
 * Setting a deadline appends it; moving or clearing one empties its old place (so the list
 * keeps nothing alive), which is skipped when it comes due; once no owner waits, the timer
 * and the list go. Every accepted
 * connection sets a handshake deadline and an idle one, and a Node timer costs an object,
 * a timer-list insert and an unenroll each (see docs/architecture.md, "Accept CPU").
 */
export class DeadlineQueue {
  private static readonly queues = new Map<number, DeadlineQueue>();
  private static readonly unrefQueues = new Map<number, DeadlineQueue>();

  /** The queue of every deadline `ms` ahead; with `unref`, its timer does not keep the process alive. */
  static of(ms: number, unref = false): DeadlineQueue {
    const queues = unref ? DeadlineQueue.unrefQueues : DeadlineQueue.queues;
    let queue = queues.get(ms);
    if (queue === undefined) queues.set(ms, (queue = new DeadlineQueue(ms, unref)));
    return queue;
  }

  private owners: (DeadlineOwner | undefined)[] = [];
  private deadlines: number[] = [];
  private head = 0;
  /** The slot number of `owners[0]`. */
  private base = 0;
  /** Owners with a deadline. */
  private waiting = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  private constructor(
    readonly ms: number,
    private readonly unref: boolean,
  ) {}

  /** Sets (or moves) `owner`'s deadline to `ms` from now. */
  set(owner: DeadlineOwner): void {
    if (owner.deadline === 0) this.waiting++;
    else this.vacate(owner);
    const deadline = (owner.deadline = performance.now() + this.ms); // monotonic: a wall-clock step moves nothing
    owner.deadlineSlot = this.base + this.owners.length;
    this.owners.push(owner);
    this.deadlines.push(deadline);
    if (this.timer === undefined) this.schedule(this.ms);
  }

  /** Clears `owner`'s deadline, if it has one. */
  clear(owner: DeadlineOwner): void {
    if (owner.deadline === 0) return;
    owner.deadline = 0;
    if (--this.waiting === 0) this.reset();
    else this.vacate(owner);
  }

  private vacate(owner: DeadlineOwner): void {
    const at = owner.deadlineSlot - this.base;
    if (this.owners[at] === owner) this.owners[at] = undefined;
  }

  /** @internal The timer fired: every owner whose deadline passed is told, in order. */
  sweep(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.head < this.deadlines.length && this.deadlines[this.head] <= now) {
      const owner = this.owners[this.head];
      const deadline = this.deadlines[this.head];
      this.owners[this.head++] = undefined;
      if (owner === undefined || owner.deadline !== deadline) continue; // moved or cleared since
      owner.deadline = 0;
      this.waiting--;
      owner.deadlinePassed(); // may set or clear others
    }
    if (this.waiting === 0) return this.reset();
    if (this.head > 1024 && this.head * 2 > this.deadlines.length) {
      this.owners = this.owners.slice(this.head);
      this.deadlines = this.deadlines.slice(this.head);
      this.base += this.head;
      this.head = 0;
    }
    // A timer may fire a little before performance.now() says it is due: then the rest is waited out.
    if (this.timer === undefined) this.schedule(Math.max(1, this.deadlines[this.head] - now));
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(sweep, ms, this);
    if (this.unref) this.timer.unref();
  }

  private reset(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.base += this.owners.length; // no slot handed out so far matches a later one
    this.owners = [];
    this.deadlines = [];
    this.head = 0;
  }
}

/** One shared function for every queue's timer (the queue is its argument). */
function sweep(queue: DeadlineQueue): void {
  queue.sweep();
}
