/** Base-image knowledge from a reference alone: Docker Hub's official images however the reference spells them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyBase } from '../../src/dockerfile/bases.ts';

test('official language images are known by every spelling of Docker Hub, and by mirrors keeping library/', () => {
  for (const ref of ['golang:1.23', 'library/golang:1.23', 'docker.io/golang:1.23', 'docker.io/library/golang:1.23', 'index.docker.io/library/golang:1.23', 'mirror.example.com/library/golang:1.23']) {
    const b = classifyBase(ref);
    assert.deepEqual([b.family, b.toolchain, b.hasShell], ['golang', 'go', true], ref);
  }
});

test('a same-named image of another owner or registry is not the official one', () => {
  for (const ref of ['someone/golang:1.23', 'docker.io/someone/golang:1.23', 'ghcr.io/acme/golang:1.23', '${REGISTRY}/golang:1.23']) {
    assert.equal(classifyBase(ref).family, 'unknown', ref);
  }
});
