import { describe, expect, it } from '@jest/globals';
import { sessionConnection } from './data-source-options.js';

describe('sessionConnection', () => {
  it('starts every session in UTC', () => {
    expect(sessionConnection('postgres://u:p@db:5432/app', {})).toEqual({
      connectionString: 'postgres://u:p@db:5432/app',
      options: '-c TimeZone=UTC',
    });
  });

  it("keeps the installation's PGOPTIONS, UTC after them", () => {
    expect(sessionConnection('postgres://db/app', { PGOPTIONS: '-c statement_timeout=5000' }).options).toBe(
      '-c statement_timeout=5000 -c TimeZone=UTC',
    );
  });

  it("keeps the URL's options (which take the place of PGOPTIONS), moved out of the URL", () => {
    const c = sessionConnection('postgres://u:p%40ss@db/app?sslmode=require&options=-c%20search_path%3Dloop', {
      PGOPTIONS: '-c statement_timeout=5000',
    });
    expect(c).toEqual({
      connectionString: 'postgres://u:p%40ss@db/app?sslmode=require',
      options: '-c search_path=loop -c TimeZone=UTC',
    });
  });
});
