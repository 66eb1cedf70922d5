import { Platform1764000000000 } from './1764000000000-platform.js';
import { Pillars1764000001000 } from './1764000001000-pillars.js';
import { GovernanceDecisions1764000002000 } from './1764000002000-governance-decisions.js';
import { OutboxClaimByHandler1764000003000 } from './1764000003000-outbox-claim-by-handler.js';
import { LoopEventOrder1764000004000 } from './1764000004000-loop-event-order.js';
import { OutboxLeanIndexes1764000005000 } from './1764000005000-outbox-lean-indexes.js';
import { OutboxDoneIsTheMark1764000006000 } from './1764000006000-outbox-done-is-the-mark.js';
import { VacuumChurningTables1764000007000 } from './1764000007000-vacuum-churning-tables.js';
import { OutboxClaimWithoutRewritingIndexes1764000008000 } from './1764000008000-outbox-claim-without-rewriting-indexes.js';
import { OutboxProcessedBrin1764000009000 } from './1764000009000-outbox-processed-brin.js';
import { OutboxWithoutEventIdKey1764000010000 } from './1764000010000-outbox-without-event-id-key.js';
import { IncidentLifecycle1765000000000 } from './1765000000000-incident-lifecycle.js';
import { Actuators1765200000000 } from './1765200000000-actuators.js';
import { RecoveryReviewExpiry1765200001000 } from './1765200001000-recovery-review-expiry.js';
import { WorkOrdersAndTrust1765300000000 } from './1765300000000-work-orders-and-trust.js';
import { Intake1765400000000 } from './1765400000000-intake.js';
import { ConsoleSessions1765500000000 } from './1765500000000-console-sessions.js';
import { PatternHistory1765600000000 } from './1765600000000-pattern-history.js';
import { RecoveryRuns1765700000000 } from './1765700000000-recovery-runs.js';
import { ActuatorHeadersSealed1765800000000 } from './1765800000000-actuator-headers-sealed.js';
import { WorkOrderClaimTokens1765800001000 } from './1765800001000-work-order-claim-tokens.js';
import { AuditLog1765900000000 } from './1765900000000-audit-log.js';
import { ConsoleReviewQueue1766025000000 } from './1766025000000-console-review-queue.js';
import { Notifications1766200000000 } from './1766200000000-notifications.js';
import { Inbox1766200001000 } from './1766200001000-inbox.js';
import { RunVerdicts1766300000000 } from './1766300000000-run-verdicts.js';
import { CanaryPauseExpiry1766400000000 } from './1766400000000-canary-pause-expiry.js';
import { FairRuns1766450000000 } from './1766450000000-fair-runs.js';
import { InboxRunIndexes1766500000000 } from './1766500000000-inbox-run-indexes.js';
import { LeanStatistics1766600000000 } from './1766600000000-lean-statistics.js';
import { OneSamplePerMoment1766700000000 } from './1766700000000-one-sample-per-moment.js';
import { AuditVerifications1766800000000 } from './1766800000000-audit-verifications.js';
import { NotificationClaimTokens1766900000000 } from './1766900000000-notification-claim-tokens.js';
import { InboxSnoozedAt1766940000000 } from './1766940000000-inbox-snoozed-at.js';
import { PolicyStatusChanges1766960000000 } from './1766960000000-policy-status-changes.js';
import { AuditSeqPositive1767000000000 } from './1767000000000-audit-seq-positive.js';
import { IdempotencyKeysCreatedIndex1767100000000 } from './1767100000000-idempotency-keys-created-index.js';
import { NotificationPruneIndexes1767100001000 } from './1767100001000-notification-prune-indexes.js';
import { IncidentsAlertEndedAt1767200000000 } from './1767200000000-incidents-alert-ended-at.js';
import { IncidentsFingerprintIndex1767300000000 } from './1767300000000-incidents-fingerprint-index.js';
import { OutboxTenantDeadLettersIndex1767400300000 } from './1767400300000-outbox-tenant-dead-letters-index.js';
import { PatternRecoveryTemplateSqlNull1767400500000 } from './1767400500000-pattern-recovery-template-sql-null.js';
import { IncidentsRunPersonActed1767400900000 } from './1767400900000-incidents-run-person-acted.js';
import { IncidentResolvedSettlesWaiting1767401230000 } from './1767401230000-incident-resolved-settles-waiting.js';
import { UnsettledIncidentIndexes1767401235000 } from './1767401235000-unsettled-incident-indexes.js';
import { UnmatchedAlertResolutions1767401240000 } from './1767401240000-unmatched-alert-resolutions.js';
import { WorkOrderFinishedByRole1767401250000 } from './1767401250000-work-order-finished-by-role.js';
import { WebhookChannelQueryMasked1767401260000 } from './1767401260000-webhook-channel-query-masked.js';
import { StepCutOffCalls1767401270000 } from './1767401270000-step-cut-off-calls.js';
import { StepCallSecrets1767401280000 } from './1767401280000-step-call-secrets.js';
import { AutomaticRunTime1767401290000 } from './1767401290000-automatic-run-time.js';
import { SignalSymptomsAge1767401300000 } from './1767401300000-signal-symptoms-age.js';
import { CanaryLeases1767401340000 } from './1767401340000-canary-leases.js';
import { NotificationLineOrder1767401350000 } from './1767401350000-notification-line-order.js';

/** Every migration, in order. Listed explicitly so the same list works compiled and under Jest. */
export const migrations = [
  Platform1764000000000,
  Pillars1764000001000,
  GovernanceDecisions1764000002000,
  OutboxClaimByHandler1764000003000,
  LoopEventOrder1764000004000,
  OutboxLeanIndexes1764000005000,
  OutboxDoneIsTheMark1764000006000,
  VacuumChurningTables1764000007000,
  OutboxClaimWithoutRewritingIndexes1764000008000,
  OutboxProcessedBrin1764000009000,
  OutboxWithoutEventIdKey1764000010000,
  IncidentLifecycle1765000000000,
  Actuators1765200000000,
  RecoveryReviewExpiry1765200001000,
  WorkOrdersAndTrust1765300000000,
  Intake1765400000000,
  ConsoleSessions1765500000000,
  PatternHistory1765600000000,
  RecoveryRuns1765700000000,
  ActuatorHeadersSealed1765800000000,
  WorkOrderClaimTokens1765800001000,
  AuditLog1765900000000,
  ConsoleReviewQueue1766025000000,
  Notifications1766200000000,
  Inbox1766200001000,
  RunVerdicts1766300000000,
  CanaryPauseExpiry1766400000000,
  FairRuns1766450000000,
  InboxRunIndexes1766500000000,
  LeanStatistics1766600000000,
  OneSamplePerMoment1766700000000,
  AuditVerifications1766800000000,
  NotificationClaimTokens1766900000000,
  InboxSnoozedAt1766940000000,
  PolicyStatusChanges1766960000000,
  AuditSeqPositive1767000000000,
  IdempotencyKeysCreatedIndex1767100000000,
  NotificationPruneIndexes1767100001000,
  IncidentsAlertEndedAt1767200000000,
  IncidentsFingerprintIndex1767300000000,
  OutboxTenantDeadLettersIndex1767400300000,
  PatternRecoveryTemplateSqlNull1767400500000,
  IncidentsRunPersonActed1767400900000,
  IncidentResolvedSettlesWaiting1767401230000,
  UnsettledIncidentIndexes1767401235000,
  UnmatchedAlertResolutions1767401240000,
  WorkOrderFinishedByRole1767401250000,
  WebhookChannelQueryMasked1767401260000,
  StepCutOffCalls1767401270000,
  StepCallSecrets1767401280000,
  AutomaticRunTime1767401290000,
  SignalSymptomsAge1767401300000,
  CanaryLeases1767401340000,
  NotificationLineOrder1767401350000,
];
