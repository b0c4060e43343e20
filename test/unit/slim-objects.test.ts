import assert from 'node:assert/strict';
import { slimObject } from '../../src/kube/slim-objects.js';

describe('slimObject (what the informers keep)', function () {
  it('drops managedFields and the last-applied copy, keeps the rest, in place', function () {
    const o = {
      metadata: {
        name: 'p',
        resourceVersion: '7',
        managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:spec': {} } }],
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'obnvmf/x': 'y' },
        labels: { a: 'b' },
      },
      spec: { nodeInfo: { id: 'p' } },
    };
    assert.equal(slimObject(o), o, 'the same object');
    assert.deepEqual(o, { metadata: { name: 'p', resourceVersion: '7', annotations: { 'obnvmf/x': 'y' }, labels: { a: 'b' } }, spec: { nodeInfo: { id: 'p' } } });
  });
  it('leaves objects without those fields, and non-objects, alone', function () {
    const o = { metadata: { name: 'p' } };
    assert.deepEqual(slimObject(o), { metadata: { name: 'p' } });
    assert.equal(slimObject(undefined), undefined);
    assert.equal(slimObject(null), null);
  });
});
