import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  buildMessage,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  type ValidationArguments,
} from 'class-validator';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/;
/** Left out: keeps its value. Given (null included): must be valid. */
const Given = () => ValidateIf((_object: unknown, value: unknown) => value !== undefined);
/** Left out or null: none. */
const NotNull = () => ValidateIf((_object: unknown, value: unknown) => value !== undefined && value !== null);
const finite = { allowNaN: false, allowInfinity: false };
const isPercentage = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 10_000;

function IsPercentage(): PropertyDecorator {
  return ValidateBy({
    name: 'isPercentage',
    validator: {
      validate: isPercentage,
      defaultMessage: buildMessage(() => 'must be a percentage above 0 (at most 10000)'),
    },
  });
}

/** A critical level is a percentage not below the warning level. */
function NotBelowWarning(): PropertyDecorator {
  return ValidateBy({
    name: 'notBelowWarning',
    validator: {
      validate: (v: unknown, args?: ValidationArguments) => {
        const warning = (args?.object as { warningPct?: unknown } | undefined)?.warningPct;
        return isPercentage(v) && (!isPercentage(warning) || v >= warning);
      },
      defaultMessage: buildMessage(() => 'must be null or a percentage not below warningPct'),
    },
  });
}

/** How one metric is judged (`PUT /signals/settings` `metrics.<name>`); null instead removes a metric of the tenant's own. */
export class MetricRuleDto {
  @IsIn(['up', 'down'], { message: 'must be "up" (higher is worse) or "down" (lower is worse)' }) direction!:
    'up' | 'down';
  @IsPercentage() warningPct!: number;
  /** Null or left out: no critical level by percentage. */
  @NotNull() @NotBelowWarning() criticalPct?: number | null;
  @Given() @IsBoolean() allowNegative?: boolean;
  /** Null or left out: no upper bound. */
  @NotNull() @IsNumber(finite, { message: 'must be null or a finite number' }) max?: number | null;
}

export class MinHistoryDto {
  @Given() @IsInt() @Min(1) @Max(100_000) samples?: number;
  @Given() @IsNumber(finite) @Min(0) @Max(24 * 90) spanHours?: number;
}

export class AlertmanagerLabelsDto {
  @Given()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @Matches(LABEL_NAME, { each: true, message: 'must be 1-10 Prometheus label names' })
  agentLabels?: string[];
  @Given() @Matches(LABEL_NAME, { message: 'must be a Prometheus label name' }) capabilityLabel?: string;
  /** 0 turns late-copy detection off; at most 10 minutes. */
  @Given() @IsInt() @Min(0) @Max(600) lateCopySeconds?: number;
}

/** `PUT /signals/settings`: a partial body, fields left out keep their value. */
export class UpdateIntakeSettingsDto {
  @Given() @IsInt() @Min(1) @Max(90) baselineDays?: number;
  @Given() @IsNumber(finite) @Min(1) @Max(24 * 30) symptomWindowHours?: number;
  @Given() @IsInt() @Min(1) @Max(1000) symptomCount?: number;
  @Given() @IsNumber(finite) @Min(0.01) @Max(24 * 30) escalationTtlHours?: number;
  @Given() @IsNumber(finite) @Min(0) @Max(100) noiseMads?: number;
  @Given() @IsInt() @Min(1) @Max(3650) retentionDays?: number;
  @Given() @IsObject() @ValidateNested() @Type(() => MinHistoryDto) minHistory?: MinHistoryDto;
  @Given() @IsObject() @ValidateNested() @Type(() => AlertmanagerLabelsDto) alertmanager?: AlertmanagerLabelsDto;
  /** Metric name → its rule, or null to remove one of the tenant's own (each checked by MetricRuleDto, see metricChanges). */
  @Given() @IsObject() metrics?: Record<string, unknown>;
}
