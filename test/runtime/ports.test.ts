import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exposedTcp, parseProcNetTcp, portsCheck } from '../../src/runtime/ports.ts';

// The shape the kernel writes: a header, then one socket per line (local and remote address in
// hex, state 0A = LISTEN, 01 = ESTABLISHED).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000 65532        0 81234 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 65532        0 81235 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1388 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000 65532        0 81236 1 0000000000000000 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1388 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 65532        0 91234 1 0000000000000000 100 0 0 10 0
`;

test('listening sockets only, from both tables, each port once', () => {
  assert.deepEqual(parseProcNetTcp(TCP), [5000, 8080]);
  assert.deepEqual(parseProcNetTcp(TCP6), [5000]);
  assert.deepEqual(parseProcNetTcp(TCP.split('\n')[0]!), []);
});

test('EXPOSE keys: TCP ports with or without /tcp; UDP is not listened for', () => {
  assert.deepEqual(exposedTcp({ '8080/tcp': {}, '53/udp': {}, '9090': {} }), [8080, 9090]);
  assert.deepEqual(exposedTcp(undefined), []);
});

test('an image that EXPOSEs 8080 while the app listens on 5000 is reported; a match passes', () => {
  const bad = portsCheck([8080], [5000]);
  assert.equal(bad.status, 'fail');
  assert.equal(bad.reason, 'EXPOSE 8080 but the process listens on 5000');
  assert.equal(portsCheck([8080], [8080, 9229]).status, 'pass');
  assert.match(portsCheck([], [5000]).reason, /listens on 5000; the image EXPOSEs no port/);
  // Nothing seen listening is not a claim either way.
  assert.equal(portsCheck([8080], []).status, 'unknown');
  assert.equal(portsCheck([8080], undefined).status, 'unknown');
});
