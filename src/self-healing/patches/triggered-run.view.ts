import { ApiProperty } from '@nestjs/swagger';
import type { TriggeredRun } from './trigger-playbook/trigger-playbook.command.js';

/** The answer (201) of `POST /patches/trigger` without `dryRun`: the run as it stood when it settled. */
export class TriggeredRunView implements TriggeredRun {
  @ApiProperty({ format: 'uuid' }) runId!: string;
  @ApiProperty() playbookId!: string;
  @ApiProperty({ description: "the run's status when the answer was sent" }) status!: string;
  @ApiProperty() escalatedToCoding!: boolean;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) workOrderId!: string | null;
}
