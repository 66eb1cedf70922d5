import { ApiProperty } from '@nestjs/swagger';
import type { Principal, Role } from '../principal.js';

export class SessionView {
  @ApiProperty() tenantId!: string;
  @ApiProperty() keyName!: string;
  @ApiProperty({ enum: ['viewer', 'operator', 'admin', 'agent'] }) role!: Role;
  @ApiProperty() platformAdmin!: boolean;
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'null: signed in with a Bearer key, not a session',
  })
  expiresAt!: string | null;
}

export const viewOf = (p: Principal): Omit<SessionView, 'expiresAt'> => ({
  tenantId: p.tenantId,
  keyName: p.keyName,
  role: p.role,
  platformAdmin: p.platformAdmin,
});
