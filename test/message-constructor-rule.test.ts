import { describe, it } from '@jest/globals';
import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { messageConstructor } from '../eslint-rules/message-constructor.js';

// RuleTester runs each case as a test of the suite it is called in.
RuleTester.describe = describe;
RuleTester.it = it;

const tester = new RuleTester({ languageOptions: { parser: tseslint.parser } });

const props = `export interface SetKillSwitchProps { tenantId: string; agentId: string | null; active: boolean }
export interface SetKillSwitch extends SetKillSwitchProps {}
`;

tester.run('local/message-constructor', messageConstructor, {
  valid: [
    {
      name: 'a command: props interface, merged interface, super() then Object.assign',
      code: `${props}export class SetKillSwitch extends Command<KillSwitchChange> {
  constructor(props: SetKillSwitchProps) { super(); Object.assign(this, props); }
}`,
    },
    {
      name: 'an event (no base class): Object.assign alone; other exported types may share the file',
      code: `export interface IncidentCreatedProps { tenantId: string; incidentId: string }
export interface IncidentCreated extends IncidentCreatedProps {}
export type IncidentCreatedResult = { ok: boolean };
export function helper() { return 1; }
export class IncidentCreated implements DomainEvent {
  constructor(props: IncidentCreatedProps) { Object.assign(this, props); }
}`,
    },
  ],
  invalid: [
    {
      name: 'positional constructor parameters',
      code: `${props}export class SetKillSwitch extends Command<KillSwitchChange> {
  constructor(readonly tenantId: string, readonly agentId: string | null) { super(); }
}`,
      errors: [{ messageId: 'param' }, { messageId: 'body' }],
    },
    {
      name: 'field-by-field copying of an inline props type',
      code: `export class GetPolicy extends Query<PolicyView | null> {
  readonly tenantId: string;
  constructor(props: { tenantId: string }) { super(); this.tenantId = props.tenantId; }
}`,
      errors: [
        { messageId: 'noPropsInterface' },
        { messageId: 'noMerge' },
        { messageId: 'members' },
        { messageId: 'param' },
        { messageId: 'body' },
      ],
    },
    {
      name: 'a `props` field instead of the fields themselves',
      code: `${props}export class SetKillSwitch extends Command<KillSwitchChange> {
  readonly props: SetKillSwitchProps;
  constructor(props: SetKillSwitchProps) { super(); this.props = props; }
}`,
      errors: [{ messageId: 'members' }, { messageId: 'body' }],
    },
    {
      name: 'defaults spread into Object.assign',
      code: `${props}export class SetKillSwitch extends Command<KillSwitchChange> {
  constructor(props: SetKillSwitchProps) { super(); Object.assign(this, { active: false, ...props }); }
}`,
      errors: [{ messageId: 'body' }],
    },
    {
      name: 'destructuring into the fields, without the merged interface',
      code: `export interface CancelRunProps { tenantId: string; runId: string }
export class CancelRun extends Command<RunView> {
  constructor(props: CancelRunProps) { super(); ({ tenantId: this.tenantId, runId: this.runId } = props); }
}`,
      errors: [{ messageId: 'noMerge' }, { messageId: 'body' }],
    },
    {
      name: 'two message classes in one file, one not exported',
      code: `${props}export class SetKillSwitch extends Command<KillSwitchChange> {
  constructor(props: SetKillSwitchProps) { super(); Object.assign(this, props); }
}
class Other extends Command<void> {
  constructor(props: OtherProps) { super(); Object.assign(this, props); }
}`,
      errors: [
        { messageId: 'oneClass' },
        { messageId: 'notExported' },
        { messageId: 'noPropsInterface' },
        { messageId: 'noMerge' },
      ],
    },
    {
      name: 'an optional props parameter',
      code: `${props}export class SetKillSwitch extends Command<KillSwitchChange> {
  constructor(props?: SetKillSwitchProps) { super(); Object.assign(this, props); }
}`,
      errors: [{ messageId: 'param' }],
    },
  ],
});
