import { Module } from '@nestjs/common';

/** Pillar 3, the governance layer: policy rules and engine, CARE routing. */
@Module({})
export class GovernanceModule {}
