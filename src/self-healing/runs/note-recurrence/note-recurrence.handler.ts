import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { RunsRepository } from '../runs.repository.js';
import { NoteRecurrence } from './note-recurrence.command.js';

@CommandHandler(NoteRecurrence)
export class NoteRecurrenceHandler implements ICommandHandler<NoteRecurrence> {
  constructor(private readonly runs: RunsRepository) {}

  execute(c: NoteRecurrence): Promise<void> {
    // Marked, not failed here: the engine fails the run (and rolls it back) at its next turn, under its lease.
    // Written with the commit, for the whole batch in one statement; a run it marks wakes the engines.
    return this.runs.noteRecurrenceAtCommit(c);
  }
}
