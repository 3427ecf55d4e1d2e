import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseIp } from '../../ts/balance/ip-address.js';

function parsed(text: string): string {
  const out = new Uint8Array(16);
  const length = parseIp(text, out);
  return length === 0 ? 'invalid' : [...out.subarray(0, length)].join('.');
}

it('parses IPv4 dotted quads into four bytes', () => {
  assert.equal(parsed('192.0.2.1'), '192.0.2.1');
  assert.equal(parsed('0.0.0.0'), '0.0.0.0');
  assert.equal(parsed('255.255.255.255'), '255.255.255.255');
  assert.equal(parsed('010.001.0.9'), '10.1.0.9');
});

it('parses IPv6 with and without :: into sixteen bytes', () => {
  const v6 = (text: string) => parsed(text).split('.').map(Number);
  assert.deepEqual(v6('::'), new Array(16).fill(0));
  assert.deepEqual(v6('::1'), [...new Array(15).fill(0), 1]);
  assert.deepEqual(v6('1::'), [0, 1, ...new Array(14).fill(0)]);
  assert.deepEqual(
    v6('2001:db8::ff:1'),
    [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 1],
  );
  assert.deepEqual(
    v6('2001:DB8:1:2:3:4:5:6'),
    [0x20, 1, 0xd, 0xb8, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6],
  );
  assert.deepEqual(v6('fe80::1%eth0'), [0xfe, 0x80, ...new Array(13).fill(0), 1]);
  assert.deepEqual(v6('64:ff9b::192.0.2.1'), [
    0,
    0x64,
    0xff,
    0x9b,
    ...new Array(8).fill(0),
    192,
    0,
    2,
    1,
  ]);
});

it('parses IPv4-mapped IPv6 as the IPv4 address', () => {
  assert.equal(parsed('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(parsed('0:0:0:0:0:ffff:c000:0201'), '192.0.2.1');
});

it('refuses text that is not an address', () => {
  const bad = [
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '1.2.3.4 ',
    ' 1.2.3.4',
    '1..2.3',
    '1.2.3.1000',
    ':',
    ':::',
    '1:::2',
    '1::2::3',
    ':1',
    '1:',
    '12345::',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8::',
    'g::1',
    '::1.2.3',
    '1:2:3:4:5:6:7:1.2.3.4',
    '[::1]',
    'localhost',
  ];
  for (const text of bad) assert.equal(parsed(text), 'invalid', JSON.stringify(text));
});
