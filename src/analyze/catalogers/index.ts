/** Every cataloger distill runs, in report order. */
import type { Cataloger } from '../package.ts';
import { apkCataloger } from './apk.ts';
import { dpkgCataloger } from './dpkg.ts';
import { goCataloger } from './go.ts';
import { javaCataloger } from './java.ts';
import { npmLockfileCataloger } from './lockfile-npm.ts';
import { pythonLockfileCataloger } from './lockfile-python.ts';
import { cargoLockCataloger, goModCataloger } from './lockfile-rust-go.ts';
import { nodeBinaryCataloger } from './nodebin.ts';
import { npmCataloger } from './npm.ts';
import { pythonCataloger } from './python.ts';
import { rpmCataloger } from './rpm.ts';

export const CATALOGERS: readonly Cataloger[] = [
  dpkgCataloger,
  apkCataloger,
  rpmCataloger,
  npmCataloger,
  pythonCataloger,
  goCataloger,
  javaCataloger,
  nodeBinaryCataloger,
  npmLockfileCataloger,
  pythonLockfileCataloger,
  cargoLockCataloger,
  goModCataloger,
];
