import { Type } from 'class-transformer';
import { ArrayNotEmpty, IsArray, IsNumber, IsOptional, IsString, Matches, ValidateNested } from 'class-validator';
import { IsCalendarDate } from '../../../platform/http/validation.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
const name = { message: 'must be 1-128 letters, digits or ._:/- characters' };

/** One metric sample. Whether its metric exists and its value fits it is the tenant's settings' to say (samplesOf). */
export class SampleDto {
  @IsString() metric!: string;
  @IsOptional() @Matches(NAME, name) agentId?: string;
  @IsOptional() @Matches(NAME, name) capability?: string;
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'must be a finite number' }) value!: number;
  /** Absent: now. Without an offset it is UTC, as every time the API takes (utcInstant). */
  @IsOptional() @IsCalendarDate() at?: string;
}

/** `POST /signals/metrics`'s body. */
export class RecordSamplesDto {
  @IsArray() @ArrayNotEmpty() @ValidateNested({ each: true }) @Type(() => SampleDto) samples!: SampleDto[];
}
