/** PEP 440 ordering (PyPI) over @renovatebot/pep440. */
import * as pep440 from '@renovatebot/pep440';
import type { VersionScheme } from './types.ts';

/** Compares two PEP 440 versions; invalid ones sort first, then as strings. */
export function comparePep440(a: string, b: string): number {
  const va = pep440.valid(a) !== null;
  const vb = pep440.valid(b) !== null;
  if (va && vb) return pep440.compare(a, b);
  if (va) return 1;
  if (vb) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** PEP 440 ordering for PyPI. */
export const pep440Scheme: VersionScheme = {
  name: 'pep440',
  compare: comparePep440,
  valid: (v) => pep440.valid(v) !== null,
};
