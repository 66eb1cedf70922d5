import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { GetLoopStatus } from './get-loop-status.query.js';
import { toLoopStatus } from './loop-status.js';
import { LoopTraceRepository } from './loop-trace.repository.js';

@QueryHandler(GetLoopStatus)
export class GetLoopStatusHandler implements IQueryHandler<GetLoopStatus> {
  constructor(private readonly traces: LoopTraceRepository) {}

  async execute({ tenantId, incidentId }: GetLoopStatus) {
    const trace = await this.traces.find(tenantId, incidentId);
    return trace ? toLoopStatus(trace) : null;
  }
}
