import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, ValidateIf } from 'class-validator';

/** `POST /inbox/:id/assign`. */
export class AssignInboxItemDto {
  @ApiProperty({ type: String, nullable: true, example: 'dana@example.com', description: 'who takes it; null: nobody' })
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @Length(1, 200)
  assignee!: string | null;
}
