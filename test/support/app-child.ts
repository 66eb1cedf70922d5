// The whole service in a process of its own (relay and run engine included), so a test can SIGKILL
// it mid-call, or read every line it logs (CHILD_LOG_LEVEL; silent by default).
import 'reflect-metadata';
import { startApp } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/platform/config/config.js';

const running = await startApp(
  loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: process.env.CHILD_LOG_LEVEL ?? 'silent' }),
  () => {},
);
process.stdout.write(`READY ${running.url}\n`);
process.once('SIGTERM', () => void running.close().then(() => process.exit(0)));
