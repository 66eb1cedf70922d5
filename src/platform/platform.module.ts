import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { CryptoModule } from './crypto/crypto.module.js';
import { EgressModule } from './egress/egress.module.js';
import { FlagsModule } from './flags/flags.module.js';
import { HealthController } from './health/health.controller.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { MetricsService } from './metrics/metrics.service.js';
import { OutboxModule } from './outbox/outbox.module.js';

/** Database, outbox, audit log, auth, flags, egress, secrets, health and metrics: no business rules. */
@Module({
  imports: [TerminusModule, AuditModule, AuthModule, FlagsModule, OutboxModule, EgressModule, CryptoModule],
  controllers: [HealthController, MetricsController],
  providers: [MetricsService],
  exports: [AuditModule, AuthModule, FlagsModule, OutboxModule, EgressModule, CryptoModule, MetricsService],
})
export class PlatformModule {}
