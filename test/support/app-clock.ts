/**
 * Makes this process's clock drift from the database's, as an app host's clock may (ADR 0008 §10):
 * `Date.now()`, `new Date()` and `Date()` read the real time plus `skew(ms)`'s offset; a Date of a
 * given time (`new Date(x)`, `Date.parse`, `Date.UTC`) is what it was. The app a test starts runs
 * in this process, so it drifts too, and so does the test's own code: judge stored times against
 * the database's `now()` in SQL, not against `Date.now()`. `during(ms, work)` runs work with the
 * clock `ms` off and sets it back after. `restore()` puts the real Date back (one drifting clock at
 * a time: take it in `beforeAll`, restore it in `afterAll`).
 */
const Real = globalThis.Date;

export interface DriftingClock {
  skew(ms: number): void;
  during<T>(ms: number, work: () => Promise<T>): Promise<T>;
  restore(): void;
}

export function driftingClock(): DriftingClock {
  let offset = 0;
  function Drifting(this: unknown, ...args: unknown[]): Date | string {
    if (!new.target) return new Real(Real.now() + offset).toString();
    return args.length === 0 ? new Real(Real.now() + offset) : new (Real as new (...a: unknown[]) => Date)(...args);
  }
  // Statics (parse, UTC) from Date; Dates made before or after the swap are `instanceof` either.
  Object.setPrototypeOf(Drifting, Real);
  Drifting.prototype = Real.prototype;
  Drifting.now = () => Real.now() + offset;
  globalThis.Date = Drifting as unknown as DateConstructor;
  return {
    skew: (ms) => {
      offset = ms;
    },
    during: async (ms, work) => {
      offset = ms;
      try {
        return await work();
      } finally {
        offset = 0;
      }
    },
    restore: () => {
      globalThis.Date = Real;
    },
  };
}
