import { Module } from '@nestjs/common';
import { FlagsController } from './flags.controller.js';
import { FlagsRepository } from './flags.repository.js';
import { FlagsService } from './flags.service.js';

@Module({
  controllers: [FlagsController],
  providers: [FlagsService, FlagsRepository],
  exports: [FlagsService],
})
export class FlagsModule {}
