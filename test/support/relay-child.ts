// A relay in a process of its own, so a test can SIGKILL it in the middle of a handler.
import 'reflect-metadata';
import { startApp } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/platform/config/config.js';
import { probe, ProbeModule } from './probe.module.js';

probe.onEnter = (key) => process.stdout.write(`IN_HANDLER ${key}\n`);
const running = await startApp(
  loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }),
  () => {},
  [ProbeModule],
);
process.stdout.write('READY\n');
process.once('SIGTERM', () => void running.close().then(() => process.exit(0)));
