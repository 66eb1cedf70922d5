/**
 * What `pillar-loop` exits with, for scripts and schedulers (README "Command line"). 0 and 1 are
 * the answer to the question a command asks (healthy or degraded; the run fixed it or not; the
 * audit chain holds or not); 3 says the command could not answer at all.
 */
export const EXIT = {
  /** Healthy; the run succeeded, or stood down as its incident was resolved; the chain holds; the command did what it was asked. */
  ok: 0,
  /** Degraded (status); the run did not fix its fault, or its rollback failed (runs --watch); the chain is broken (audit verify). */
  no: 1,
  /** Fixed since the last check (status); an operator canceled the run (runs --watch). */
  changed: 2,
  /** No answer: bad usage or configuration, the service unreachable or refusing the request. */
  error: 3,
} as const;

/** A failure the user can act on, said in one line (never a stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
  ) {
    super(message);
  }
}
