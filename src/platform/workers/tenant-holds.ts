/**
 * How many items (runs, deliveries) a worker of this replica holds, by tenant, against a per-tenant
 * cap: what a fair claim is told to leave out (ADR 0008 §12). A Map of tenant id to count (only
 * tenants holding something), so a claim can pass it to SQL as it is.
 */
export class TenantHolds extends Map<string, number> {
  constructor(private readonly cap: number) {
    super();
  }

  hold(tenantId: string): void {
    this.set(tenantId, (this.get(tenantId) ?? 0) + 1);
  }

  /** Gives one back; true when that took the tenant off its cap (its items were passed over meanwhile). */
  release(tenantId: string): boolean {
    const n = (this.get(tenantId) ?? 1) - 1;
    if (n > 0) this.set(tenantId, n);
    else this.delete(tenantId);
    return n === this.cap - 1;
  }

  atCap(tenantId: string): boolean {
    return (this.get(tenantId) ?? 0) >= this.cap;
  }

  /** The tenants at their cap: nothing of theirs may be claimed here now. */
  tenantsAtCap(): string[] {
    return [...this.keys()].filter((tenantId) => this.atCap(tenantId));
  }

  /** Items held, all tenants together. */
  get total(): number {
    let all = 0;
    for (const n of this.values()) all += n;
    return all;
  }
}
