import { DtleConnection } from '../../src/translate/dtleJob';

describe('DtleConnection (a MySQL connection block of the record)', () => {
  it("takes the driver's block with its types, and keeps a Charset and keys it does not name", () => {
    expect(DtleConnection.parse({ Host: 'h', Port: 3306, User: 'u', Password: 'p', Charset: 'utf8mb4' })).toEqual({ Host: 'h', Port: 3306, User: 'u', Password: 'p', Charset: 'utf8mb4' });
    expect(DtleConnection.parse({ Host: 'h', Port: 1, User: 'u', Password: 'p', Extra: true })).toMatchObject({ Extra: true });
  });

  it('refuses a block whose fields are not what the driver holds', () => {
    expect(DtleConnection.safeParse({ Host: 'h', Port: '3306', User: 'u', Password: 'p' }).success).toBe(false);
    expect(DtleConnection.safeParse({ Host: 'h', Port: 3306, User: 'u' }).success).toBe(false);
  });
});
