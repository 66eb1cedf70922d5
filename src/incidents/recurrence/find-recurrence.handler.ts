import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { IncidentsRepository } from '../incidents.repository.js';
import { FindRecurrence, type RecurrenceEvidence } from './find-recurrence.query.js';

@QueryHandler(FindRecurrence)
export class FindRecurrenceHandler implements IQueryHandler<FindRecurrence> {
  constructor(private readonly incidents: IncidentsRepository) {}

  execute(q: FindRecurrence): Promise<RecurrenceEvidence> {
    return this.incidents.recurrenceEvidence(q);
  }
}
