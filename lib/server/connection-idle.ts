/**
 * The idle timer of one gateway connection (see `GatewayConnection`): armed when the
 * connection holds no stream, disarmed by the next one. `setTimeout` gets the owner as its
 * argument and one shared function, so arming allocates no closure.
 */
export class IdleTimer {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ms: number,
    private readonly owner: { idled(): void },
  ) {}

  arm(): void {
    this.disarm();
    this.timer = setTimeout(fire, this.ms, this);
    this.timer.unref();
  }

  disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** @internal */
  fired(): void {
    this.timer = undefined;
    this.owner.idled();
  }
}

function fire(timer: IdleTimer): void {
  timer.fired();
}
