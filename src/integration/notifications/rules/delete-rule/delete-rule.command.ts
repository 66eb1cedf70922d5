import { Command } from '@nestjs/cqrs';

export interface DeleteRuleProps {
  tenantId: string;
  name: string;
  actor: string;
}

/** Deletes a rule (404 when there is none); its deliveries stay in the record. */
export interface DeleteRule extends DeleteRuleProps {}
export class DeleteRule extends Command<void> {
  constructor(props: DeleteRuleProps) {
    super();
    Object.assign(this, props);
  }
}
