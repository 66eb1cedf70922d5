import { Query } from '@nestjs/cqrs';

export interface ResolutionStats {
  incidents: number;
  resolved: number;
  /** resolved ÷ incidents of the window (1 when there were none). */
  resolveRate: number;
  /** MTTR = resolvedAt − occurredAt of the resolved ones; null with none resolved. */
  mttrMs: { avg: number; p50: number; fastest: number; slowest: number } | null;
}

export interface GetResolutionStatsProps {
  tenantId: string;
  hours: number;
}

/** How incidents reported in the last `hours` were resolved (DESIGN §8: MTTR). */
export interface GetResolutionStats extends GetResolutionStatsProps {}
export class GetResolutionStats extends Query<ResolutionStats> {
  constructor(props: GetResolutionStatsProps) {
    super();
    Object.assign(this, props);
  }
}
