/**
 * A "fat" Debian image for e2e tests: mmdebstrap --variant=apt of the suite in this machine's apt
 * sources (the sources file is handed to mmdebstrap, so no mirror host is named here), imported
 * into podman and saved as a docker-archive, exactly as a user would make one. Built once per
 * test-output directory and reused.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.ts';
import { podmanEnv } from './podman.ts';

const dir = join(ROOT, 'test-output', 'debian-rootfs');

/** The first deb822 or one-line apt sources file of this machine, and the suite it names. */
export function aptSources(): { file: string; suite: string } {
  const d = '/etc/apt/sources.list.d';
  for (const f of existsSync(d) ? readdirSync(d).sort() : []) {
    if (!f.endsWith('.sources')) continue;
    const text = execFileSync('cat', [join(d, f)], { encoding: 'utf8' });
    const m = /^Suites:\s*(\S+)/m.exec(text);
    if (m && /^URIs:/m.test(text)) return { file: join(d, f), suite: m[1]! };
  }
  const list = '/etc/apt/sources.list';
  const line = existsSync(list) ? execFileSync('grep', ['-m1', '^deb ', list], { encoding: 'utf8' }) : '';
  const suite = line.split(/\s+/)[2];
  if (!suite) throw new Error('no apt sources on this machine');
  return { file: list, suite };
}

/** A Debian rootfs tarball (apt variant: sh, bash, apt, dpkg, setuid tools). */
export function debianRootfsTar(extra: string[] = []): string {
  mkdirSync(dir, { recursive: true });
  const name = extra.length ? `rootfs-${extra.join('-')}.tar` : 'rootfs.tar';
  const out = join(dir, name);
  if (existsSync(out)) return out;
  const { file, suite } = aptSources();
  const tmp = `${out}.tmp-${process.pid}`;
  execFileSync('mmdebstrap', ['--variant=apt', '--format=tar', '--quiet', ...(extra.length ? [`--include=${extra.join(',')}`] : []), suite, tmp, file], { stdio: ['ignore', 'ignore', 'pipe'] });
  renameSync(tmp, out);
  return out;
}

/** The rootfs imported into podman and saved as a docker-archive; returns its path and podman's layer size. */
export function debianDockerArchive(): { archive: string; podmanSize: number } {
  const archive = join(dir, 'debian.docker.tar');
  const env = podmanEnv();
  const name = 'localhost/distill-test-debian:fat';
  if (!existsSync(archive)) {
    execFileSync('podman', ['import', '-q', debianRootfsTar(), name], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('podman', ['save', '--format', 'docker-archive', '-o', `${archive}.tmp`, name], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    renameSync(`${archive}.tmp`, archive);
  } else {
    try {
      execFileSync('podman', ['image', 'exists', name], { env });
    } catch {
      execFileSync('podman', ['load', '-q', '-i', archive], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    }
  }
  const hist = JSON.parse(execFileSync('podman', ['history', '--format', 'json', name], { env, encoding: 'utf8' })) as { size: number }[];
  return { archive, podmanSize: hist.reduce((n, h) => n + h.size, 0) };
}
