import { Command } from '@nestjs/cqrs';
import type { RuleView } from '../rule.view.js';
import type { PutRuleDto } from './put-rule.dto.js';

export interface PutRuleProps {
  tenantId: string;
  name: string;
  rule: PutRuleDto;
  actor: string;
}

/** Creates or replaces a notification rule; the channel must exist. */
export interface PutRule extends PutRuleProps {}
export class PutRule extends Command<{ rule: RuleView; created: boolean }> {
  constructor(props: PutRuleProps) {
    super();
    Object.assign(this, props);
  }
}
