import * as assert from 'node:assert/strict';
import { browserTarget } from '../../../src/core/deploy/hostContainers';

suite('(unit) deploy: where "Open in Browser" reaches a host container', () => {
  test('a port published on every address is reached on the host\'s loopback', () => {
    assert.deepEqual(browserTarget({ name: 'web', ports: [{ container: 8080, protocol: 'tcp', host: 32768, hostIp: '0.0.0.0' }], addresses: { bridge: '198.18.0.5' } }), {
      host: '127.0.0.1',
      port: 32768,
      via: 'published port 127.0.0.1:32768',
    });
  });

  test('a port published on one address is reached there; the IPv6 twin of a publication is skipped', () => {
    const ports = [
      { container: 8080, protocol: 'tcp', host: 40001, hostIp: '::' },
      { container: 8080, protocol: 'tcp', host: 40000, hostIp: '127.0.0.1' },
    ];
    assert.equal(browserTarget({ name: 'web', ports, addresses: {} }).port, 40000);
    assert.equal(browserTarget({ name: 'web', ports, addresses: {} }).host, '127.0.0.1');
  });

  test('an exposed port that is not published is reached at the container\'s own address; UDP is never chosen', () => {
    const t = browserTarget({ name: 'api', ports: [{ container: 53, protocol: 'udp' }, { container: 3000, protocol: 'tcp' }], addresses: { appnet: '198.18.80.7' } });
    assert.deepEqual(t, { host: '198.18.80.7', port: 3000, via: 'container address 198.18.80.7:3000' });
  });

  test('a requested port picks that port among several', () => {
    const ports = [
      { container: 80, protocol: 'tcp', host: 8080 },
      { container: 9090, protocol: 'tcp', host: 9091 },
    ];
    assert.equal(browserTarget({ name: 'x', ports, addresses: {} }, 9090).port, 9091);
  });

  test('no port and no address: a clear error naming the container', () => {
    assert.throws(() => browserTarget({ name: 'worker', ports: [], addresses: {} }), /worker has no port to open in a browser: it publishes none and has no network address/);
    assert.throws(() => browserTarget({ name: 'worker', ports: [], addresses: { bridge: '198.18.0.9' } }), /worker has no port to open in a browser: it publishes none and exposes none/);
  });
});
