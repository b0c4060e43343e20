import assert from 'node:assert/strict';
import { decodeDbInfo, describeTarget, DsnError, parseGoMysqlDsn } from '../../src/plugins/metasync/dsn.js';

describe('unit: Go MySQL DSN (--dbInfo / --obConnInfo)', () => {
  const good: [string, Partial<ReturnType<typeof parseGoMysqlDsn>>][] = [
    ['user:passwd@tcp(10.0.0.1:3306)/liteio?charset=utf8&interpolateParams=true', { user: 'user', password: 'passwd', host: '10.0.0.1', port: 3306, database: 'liteio', charset: 'UTF8_GENERAL_CI', ignoredParams: ['interpolateParams'] }],
    ['root@tcp(127.0.0.1:3306)/test', { user: 'root', password: '', host: '127.0.0.1', port: 3306, database: 'test' }],
    ['u:p@ss:w0rd@tcp(db:3307)/x', { user: 'u', password: 'p@ss:w0rd', host: 'db', port: 3307, database: 'x' }],
    ['u:a/b@tcp(db:1)/x', { user: 'u', password: 'a/b', database: 'x' }],
    ['u:@tcp(db)/x', { user: 'u', password: '', host: 'db', port: 3306 }],
    ['u:p@unix(/var/run/mysqld/mysqld.sock)/x', { socketPath: '/var/run/mysqld/mysqld.sock', database: 'x' }],
    ['u:p@/x', { host: '127.0.0.1', port: 3306, database: 'x' }],
    ['/x', { user: '', password: '', database: 'x' }],
    ['u:p@tcp([::1]:3306)/x', { host: '::1', port: 3306 }],
    ['u:p@tcp(db:3306)/x?timeout=5s', { connectTimeout: 5000 }],
    ['u:p@tcp(db:3306)/x?timeout=1m30s', { connectTimeout: 90000 }],
    ['u:p@tcp(db:3306)/x?tls=skip-verify', { ssl: { rejectUnauthorized: false } }],
    ['u:p@tcp(db:3306)/x?tls=true', { ssl: { rejectUnauthorized: true } }],
    ['u:p@tcp(db:3306)/x?charset=utf8mb4,utf8&parseTime=true&loc=Local', { charset: 'UTF8MB4_GENERAL_CI', ignoredParams: ['parseTime', 'loc'] }],
    ['u:p@tcp(db:3306)/x?multiStatements=true', { multipleStatements: true }],
    ['u:p@tcp(db:3306)/my%20db', { database: 'my db' }],
  ];
  for (const [dsn, want] of good)
    it(`parses ${dsn.replace(/:[^@]*@/, ':***@')}`, () => {
      const got = parseGoMysqlDsn(dsn);
      for (const [k, v] of Object.entries(want)) assert.deepEqual((got as unknown as Record<string, unknown>)[k], v, k);
    });

  const bad: [string, RegExp][] = [
    ['u:secretpw@tcp(db:3306)', /missing "\/"/],
    ['u:secretpw@tcp(db:3306)/', /database name is empty/],
    ['u:secretpw@tcp(db:99999)/x', /port "99999" is out of range/],
    ['u:secretpw@udp(db:1)/x', /unsupported network "udp"/],
    ['u:secretpw@unix()/x', /unix\(\) needs a socket path/],
    ['u:secretpw@tcp(db:1/x', /cannot read the network part/],
    ['u:secretpw@tcp(db:1)/x?timeout=five', /timeout: "five" is not a Go duration/],
    ['u:secretpw@tcp(db:1)/x?tls=maybe', /tls: "maybe" is not supported/],
    ['u:secretpw@tcp(db:1)/x?bogus=1', /DSN parameter "bogus" is not supported/],
    ['u:secretpw@tcp(db:1)/x?charset', /DSN parameter "charset" has no value/],
  ];
  for (const [dsn, re] of bad)
    it(`rejects a bad DSN without showing the password: ${re.source}`, () => {
      assert.throws(() => parseGoMysqlDsn(dsn), (e: unknown) => e instanceof DsnError && re.test(e.message) && !e.message.includes('secretpw'));
    });

  it('decodes strict base64 and refuses bad base64', () => {
    const dsn = 'u:pw@tcp(h:1)/d';
    assert.equal(decodeDbInfo(Buffer.from(dsn).toString('base64')), dsn);
    for (const b of ['not base64!', 'abc', '', 'YWJj=x=='])
      assert.throws(() => decodeDbInfo(b, '--obConnInfo'), /--obConnInfo: (empty|not valid base64)/);
  });
  it('describes a target without the password', () => {
    assert.equal(describeTarget(parseGoMysqlDsn('u:hunter2@tcp(db:3306)/x')), 'u@tcp(db:3306)/x');
  });
});
