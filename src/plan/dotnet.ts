/**
 * .NET: `dotnet publish`. Providers with a .NET runtime (chiseled, chainguard) run the
 * framework-dependent app with `dotnet App.dll`; the others (google, ubi-micro, local bases)
 * get a self-contained publish onto cc, in globalization-invariant mode since there is no ICU.
 */
import { joinPath } from '../dockerfile/parse.ts';
import { flagValue } from '../dockerfile/shell.ts';
import { findCommands, muslArtefact, versionFromImages } from './common.ts';
import { emptyPlan, type Analysis, type Plan, type Strategy } from './types.ts';

export const dotnetStrategy: Strategy = {
  language: 'dotnet',
  plan(a: Analysis, mode): Plan {
    const aspnet = a.file.stages.some((s) => /aspnet/.test(s.baseImage)) || a.ctx.files().some((f) => /\.csproj$/.test(f) && /Microsoft\.NET\.Sdk\.Web/.test(a.ctx.read(f) ?? ''));
    const plan = emptyPlan('dotnet', aspnet ? 'aspnet' : 'dotnet');
    plan.version = versionFromImages(a, /dotnet\/(sdk|aspnet|runtime|runtime-deps)$/, /^(\d+\.\d+)/);
    const selfContained = !a.opts.basePrefix && (a.opts.provider === 'chiseled' || a.opts.provider === 'chainguard') ? false : true;
    const publish = findCommands(a, (v) => v[0] === 'dotnet' && v[1] === 'publish');
    const argv = a.command?.argv ?? [];
    const dll = argv.find((x) => /\.dll$/.test(x));
    let app = dll ? dll.replace(/\.dll$/, '').split('/').pop() : undefined;
    if (!app && argv[0] && !/dotnet$/.test(argv[0])) app = argv[0].split('/').pop();
    if (!app) {
      const proj = a.ctx.files().find((f) => /\.csproj$/.test(f));
      app = proj?.split('/').pop()?.replace(/\.csproj$/, '');
    }
    if (!app) {
      plan.warnings.push('cannot tell the .NET app name (no `dotnet X.dll` in CMD and no .csproj in the context)');
      return plan;
    }
    const pub = publish[0];
    const outRaw = pub ? flagValue(pub.cmd.argv, '-o', '--output') : undefined;
    const out = pub && outRaw ? joinPath(pub.instr.workdir, outRaw) : undefined;
    if (selfContained) {
      // --use-current-runtime on an Alpine SDK publishes for linux-musl.
      if (pub) muslArtefact(a, pub.stage, plan, 'the self-contained .NET app');
      if (pub && !pub.cmd.argv.some((x) => x.startsWith('--self-contained') || x === '--sc')) {
        const text = pub.instr.raw.replace(/dotnet\s+publish/, 'dotnet publish --self-contained --use-current-runtime');
        plan.edits.push({ kind: 'replace', instr: pub.instr, text });
        plan.changes.push({ line: pub.instr.line, kind: 'publish', reason: 'published self-contained: the runtime base has no .NET runtime, so the app carries its own' });
      } else if (!pub) plan.warnings.push('no `dotnet publish` step found: cannot make the app self-contained for a base without .NET');
      if (a.vars.DOTNET_SYSTEM_GLOBALIZATION_INVARIANT === undefined) plan.env.push({ key: 'DOTNET_SYSTEM_GLOBALIZATION_INVARIANT', value: '1', reason: 'the base has no ICU libraries' });
    }
    // The app's own arguments (`dotnet App.dll --urls …`) follow it whichever way it starts.
    const appArgs = dll ? argv.slice(argv.indexOf(dll) + 1) : argv.slice(1);
    if (mode === 'rebase') {
      if (selfContained) {
        const dir = dll ? joinPath(a.workdir, dll.split('/').slice(0, -1).join('/') || '.') : a.workdir;
        plan.run = { kind: 'exec', entrypoint: [joinPath(dir, app), ...appArgs], cmd: [] };
      } else plan.run = { kind: 'dotnet', dll: dll ?? `${app}.dll`, args: appArgs };
      return plan;
    }
    if (!out) {
      plan.warnings.push('cannot tell the publish output directory (add -o DIR to dotnet publish)');
      return plan;
    }
    plan.workdir = '/app';
    plan.copies.push({ src: out, dst: '/app', reason: 'only the published output' });
    plan.run = selfContained ? { kind: 'exec', entrypoint: [`/app/${app}`, ...appArgs], cmd: [] } : { kind: 'dotnet', dll: `${app}.dll`, args: appArgs };
    return plan;
  },
};
