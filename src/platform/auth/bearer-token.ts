/** The token of an `Authorization: Bearer <token>` header, or null when the header is not of that form. */
export function bearerToken(authorization: string | undefined): string | null {
  return /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1] ?? null;
}
