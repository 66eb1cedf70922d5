import {
  ArrayNotEmpty,
  buildMessage,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  MaxLength,
  Min,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';
import { IsParsableTime } from '../../platform/http/validation.js';
import { labelOf, PAYLOAD_VERSIONS, type PayloadVersion } from './alertmanager-payload.js';

const STATUSES = ['firing', 'resolved'];
const MAX_LABELS = 200;

/** An object of at most 200 string values (labels, annotations). */
function IsLabelSet(): PropertyDecorator {
  return ValidateBy({
    name: 'isLabelSet',
    validator: {
      validate: (v: unknown) =>
        typeof v === 'object' &&
        v !== null &&
        !Array.isArray(v) &&
        Object.keys(v).length <= MAX_LABELS &&
        Object.values(v).every((x) => typeof x === 'string'),
      defaultMessage: buildMessage(() => `must be an object of at most ${MAX_LABELS} string values`),
    },
  });
}

/** The alert's own `alertname` label (it becomes the incident's errorType), 1-128 characters; reported on `labels.alertname`. */
function HasAlertname(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'hasAlertname',
      validator: {
        validate: (v: unknown) => {
          if (typeof v !== 'object' || v === null) return true; // IsLabelSet says what is wrong
          const name = labelOf(v as Record<string, string>, 'alertname');
          return typeof name === 'string' && name.trim() !== '' && name.length <= 128;
        },
        defaultMessage: buildMessage(() => "is required (at most 128 characters): it becomes the incident's errorType"),
      },
    },
    { ...options, context: { field: 'alertname' } },
  );
}

const status = { message: 'must be "firing" or "resolved"' };

/** One alert of Alertmanager's webhook payload (version 4; Grafana's compatible contact point, version 1, sends the same). */
export class WebhookAlertDto {
  @IsIn(STATUSES, status) status!: 'firing' | 'resolved';
  @IsLabelSet() @HasAlertname() labels!: Record<string, string>;
  @IsOptional() @IsLabelSet() annotations?: Record<string, string>;
  @IsParsableTime('an RFC 3339 time') startsAt!: string;
  @IsOptional() @IsParsableTime('an RFC 3339 time') endsAt?: string;
  @IsOptional() @IsString() generatorURL?: string;
  /** Absent (a hand-written sender): derived from the labels, as Alertmanager computes its own. */
  @IsOptional() @IsString() @MaxLength(256) fingerprint?: string;
}

/**
 * `POST /intake/alertmanager`'s body without its alerts, which are checked one by one
 * (readWebhookPayload). Fields Alertmanager always sends are required; fields only Grafana adds
 * (orgId, silenceURL, values…) are ignored, not refused.
 */
export class WebhookPayloadDto {
  @IsIn(PAYLOAD_VERSIONS, {
    message: (a) =>
      `must be "4" (Alertmanager's webhook payload version) or "1" (Grafana's), got ${JSON.stringify(a.value ?? null)}`,
  })
  version!: PayloadVersion;
  @IsString() groupKey!: string;
  @IsOptional() @IsInt() @Min(0) truncatedAlerts?: number;
  @IsIn(STATUSES, status) status!: 'firing' | 'resolved';
  @IsString() receiver!: string;
  @IsOptional() @IsLabelSet() groupLabels?: Record<string, string>;
  @IsOptional() @IsLabelSet() commonLabels?: Record<string, string>;
  @IsOptional() @IsLabelSet() commonAnnotations?: Record<string, string>;
  @IsOptional() @IsString() externalURL?: string;
  @IsArray()
  @ArrayNotEmpty({ message: 'must be a non-empty array of alerts' })
  alerts!: unknown[];
}
