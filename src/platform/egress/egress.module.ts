import { Module } from '@nestjs/common';
import { Egress } from './egress.js';

/** The egress rule every outbound call goes through (actuators now, notification channels next). */
@Module({ providers: [Egress], exports: [Egress] })
export class EgressModule {}
