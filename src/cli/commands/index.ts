/** Every command of the CLI, one file each; add a line here when adding a command. */
import type { Command } from 'commander';
import { register as registerBuild } from './build.ts';
import { register as registerDb } from './db.ts';
import { register as registerConvert } from './convert.ts';
import { register as registerSbom } from './sbom.ts';
import { register as registerBase } from './base.ts';
import { register as registerAudit } from './audit.ts';
import { register as registerScan } from './scan.ts';
import { register as registerCompare } from './compare.ts';
import { register as registerReport } from './report.ts';
import { register as registerHarden } from './harden.ts';
import { register as registerLint } from './lint.ts';
import { register as registerPolicy } from './policy.ts';
import { register as registerVerify } from './verify.ts';
import { register as registerPull } from './pull.ts';
import { register as registerPush } from './push.ts';
import { register as registerCopy } from './copy.ts';
import { register as registerDebug } from './debug.ts';
import { register as registerInspect } from './inspect.ts';
import { register as registerExport } from './export.ts';

export function registerCommands(program: Command): void {
  void program;
  registerBuild(program);
  registerDb(program);
  registerConvert(program);
  registerSbom(program);
  registerBase(program);
  registerAudit(program);
  registerScan(program);
  registerCompare(program);
  registerReport(program);
  registerHarden(program);
  registerLint(program);
  registerPolicy(program);
  registerVerify(program);
  registerDebug(program);
  registerPull(program);
  registerPush(program);
  registerCopy(program);
  registerInspect(program);
  registerExport(program);
}
