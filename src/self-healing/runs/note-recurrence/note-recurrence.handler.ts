import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { RunWakeups } from '../run-wakeups.js';
import { RunsRepository } from '../runs.repository.js';
import { NoteRecurrence } from './note-recurrence.command.js';

@CommandHandler(NoteRecurrence)
export class NoteRecurrenceHandler implements ICommandHandler<NoteRecurrence> {
  constructor(
    private readonly runs: RunsRepository,
    private readonly wakeups: RunWakeups,
  ) {}

  async execute(c: NoteRecurrence): Promise<number> {
    // Marked, not failed here: the engine fails the run (and rolls it back) at its next turn, under its lease.
    const n = await this.runs.noteRecurrence(c);
    if (n > 0) this.wakeups.afterCommit();
    return n;
  }
}
