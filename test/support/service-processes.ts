import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from './test-app.js';

export type ServiceProcess = ReturnType<ReturnType<typeof serviceProcesses>['run']>;

/**
 * Processes of the built service (`npm start` runs dist/src/main.js) and its commands, on a
 * DATA_DIR of the test's own. `run` passes only the environment it names (PATH, DATA_DIR,
 * LOG_LEVEL=warn, then `env`): the test runner's own variables (LANG, keys) do not leak in.
 */
export function serviceProcesses(prefix: string) {
  const dataDir = mkdtempSync(path.join(tmpdir(), prefix));
  const children: ChildProcess[] = [];
  const postmasterPid = () => Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);

  function run(command: string[], env: Record<string, string> = {}, uid?: number) {
    const [file, ...args] = command;
    const child = spawn(file, args, {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(uid === undefined ? {} : { uid, gid: uid }),
    });
    children.push(child);
    let output = '';
    let errors = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => {
      output += d;
      errors += d;
    });
    // output: both streams as they came; stderr: what it said there alone (a fatal line, a stack trace).
    return { child, output: () => output, stderr: () => errors };
  }

  /** Kills what still runs, stops the embedded server a SIGKILLed app left, and removes DATA_DIR. */
  function cleanup(): void {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))) {
      try {
        process.kill(postmasterPid(), 'SIGINT');
      } catch {
        /* already gone */
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  }

  return { dataDir, run, postmasterPid, cleanup };
}

/**
 * Waits until the built service on `port` answers `/health/ready` with 200 (as an orchestrator would);
 * with `service`, fails at once, with its output, if that process exited meanwhile.
 */
export function untilReady(
  port: number,
  {
    service,
    what = 'the service to be ready',
    timeoutMs = 60_000,
  }: { service?: { child: ChildProcess; output(): string }; what?: string; timeoutMs?: number } = {},
) {
  return eventually(
    async () => {
      if (service && service.child.exitCode !== null) throw new Error(`the service exited: ${service.output()}`);
      try {
        return (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200;
      } catch {
        return false;
      }
    },
    what,
    timeoutMs,
  );
}
