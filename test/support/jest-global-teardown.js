import { rmSync } from 'node:fs';

export default async function globalTeardown() {
  await globalThis.__pillarTestDb?.stop();
  if (process.env.PILLAR_TEST_DIR) rmSync(process.env.PILLAR_TEST_DIR, { recursive: true, force: true });
}
