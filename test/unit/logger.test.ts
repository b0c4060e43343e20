import assert from 'node:assert/strict';
import { redactText } from '../../src/logger.js';

describe('unit: secret redaction', () => {
  it('masks DSN passwords, bearer tokens and password parameters', () => {
    assert.equal(redactText('dial root:s3cr@t@tcp(db:3306)/x failed'), 'dial root:***@tcp(db:3306)/x failed');
    assert.equal(redactText('Authorization: Bearer abc.def-123'), 'Authorization: Bearer ***');
    assert.equal(redactText('url?user=a&password=hunter2&x=1'), 'url?user=a&password=***&x=1');
    assert.equal(redactText('nothing secret here'), 'nothing secret here');
  });
});
