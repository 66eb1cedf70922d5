import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { GetKillSwitchState, type KillSwitchState } from './get-killswitch-state.query.js';
import { KillSwitchCache } from './killswitch.cache.js';

@QueryHandler(GetKillSwitchState)
export class GetKillSwitchStateHandler implements IQueryHandler<GetKillSwitchState> {
  constructor(private readonly cache: KillSwitchCache) {}

  async execute({ tenantId }: GetKillSwitchState): Promise<KillSwitchState> {
    const state = await this.cache.get(tenantId);
    // A copy: callers may not mutate what other callers are served.
    return { tenantActive: state.tenantActive, blockedAgents: [...state.blockedAgents] };
  }
}
