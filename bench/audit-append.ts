import type { INestApplication } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { AuditTrail } from '../src/platform/audit/audit-trail.js';
import { TransactionHost } from '../src/platform/database/transaction-host.js';
import { summarise, type Summary } from './stats.js';

export interface AuditAppendVariant {
  commitsPerS: number;
  latencyMs: Summary;
}

/** What one audit entry costs a writing transaction (ADR 0016), measured in the running app. */
export interface AuditAppendResult {
  workers: number;
  seconds: number;
  /** A one-row transaction without an entry. */
  plain: AuditAppendVariant;
  /** The same with one entry, every worker in one tenant: its chain head serialises their commits. */
  oneTenant: AuditAppendVariant;
  /** The same with one entry, each worker in a tenant of its own: no head is shared. */
  ownTenants: AuditAppendVariant;
}

/**
 * `workers` concurrent transactions through the app's own TransactionHost and AuditTrail, each
 * inserting one row (and recording one entry), for `seconds` per variant. The scratch table is
 * dropped afterwards; the entries stay in their `bench-audit-*` tenants of the bench's database.
 */
export async function runAuditAppendBench(
  app: INestApplication,
  workers: number,
  seconds: number,
): Promise<AuditAppendResult> {
  const tx = app.get(TransactionHost);
  const audit = app.get(AuditTrail);
  await tx.queryOutside('DROP TABLE IF EXISTS bench_audit_probe');
  await tx.queryOutside('CREATE TABLE bench_audit_probe (id bigserial PRIMARY KEY, v int)');
  const variant = async (tenantOf: ((worker: number) => string) | null): Promise<AuditAppendVariant> => {
    const latencies: number[] = [];
    const end = performance.now() + seconds * 1000;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        for (let n = 0; performance.now() < end; n++) {
          const t = performance.now();
          await tx.run(async () => {
            await tx.query('INSERT INTO bench_audit_probe (v) VALUES ($1)', [n]);
            if (tenantOf) {
              await audit.record({
                tenantId: tenantOf(w),
                actor: 'system',
                action: 'bench.probed',
                subject: { type: 'probe', id: String(w) },
                after: { n },
              });
            }
          });
          latencies.push(performance.now() - t);
        }
      }),
    );
    return { commitsPerS: latencies.length / ((performance.now() - start) / 1000), latencyMs: summarise(latencies) };
  };
  try {
    const plain = await variant(null);
    const oneTenant = await variant(() => 'bench-audit-one');
    const ownTenants = await variant((w) => `bench-audit-${w}`);
    return { workers, seconds, plain, oneTenant, ownTenants };
  } finally {
    await tx.queryOutside('DROP TABLE IF EXISTS bench_audit_probe').catch(() => undefined);
  }
}
