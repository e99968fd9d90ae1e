// The RxJS pieces wisp-rx uses, imported one module each. In Node, `require('rxjs')` loads
// RxJS's CommonJS index, which loads every operator and observable it has (223 modules,
// +1.32 MB of heap, measured with node --expose-gc); these 19 modules cost 0.60 MB. A lean
// baseline matters more than it looks: V8 starts incremental marking only above an old
// generation of 8 MB, and a small gateway sitting just above that mark-compacts every few
// tens of milliseconds under load (docs/architecture.md, "Heap baseline and V8's marking
// threshold"). The paths are RxJS's exported `rxjs/internal/*` (package.json `exports`), the
// same files `rxjs` re-exports, so classes stay identical to an application's own import of
// `rxjs` in Node and in bundlers; rxjs is pinned to 7.x in package.json.
export { Observable } from 'rxjs/internal/Observable';
export { Subject } from 'rxjs/internal/Subject';
export { BehaviorSubject } from 'rxjs/internal/BehaviorSubject';
export { ReplaySubject } from 'rxjs/internal/ReplaySubject';
export { Subscription } from 'rxjs/internal/Subscription';
export type { Subscriber } from 'rxjs/internal/Subscriber';
export type { Observer, OperatorFunction, SchedulerAction, SchedulerLike } from 'rxjs/internal/types';
export { asyncScheduler } from 'rxjs/internal/scheduler/async';
export { config } from 'rxjs/internal/config';
export { firstValueFrom } from 'rxjs/internal/firstValueFrom';
export { identity } from 'rxjs/internal/util/identity';
export { reportUnhandledError } from 'rxjs/internal/util/reportUnhandledError';
export { pipe } from 'rxjs/internal/util/pipe';
export { concat } from 'rxjs/internal/observable/concat';
export { of } from 'rxjs/internal/observable/of';
export { throwError } from 'rxjs/internal/observable/throwError';
export { timer } from 'rxjs/internal/observable/timer';
export { catchError } from 'rxjs/internal/operators/catchError';
export { map } from 'rxjs/internal/operators/map';
export { takeUntil } from 'rxjs/internal/operators/takeUntil';
export { tap } from 'rxjs/internal/operators/tap';
