import { Module } from '@nestjs/common';

/** Pillar 2, the self-healing platform: failure catalog and matcher, recovery engine, playbooks. */
@Module({})
export class SelfHealingModule {}
