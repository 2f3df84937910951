/**
 * The smallest distroless flavour whose libraries satisfy an app's closure: static (no libc) <
 * base (glibc and OpenSSL) < cc (plus libgcc_s, libstdc++, libgomp). The sonames each flavour
 * provides are those of its Debian packages (src/base/flavours.ts: libc6 and libssl3 for base;
 * libgcc-s1, libstdc++6 and libgomp1 added for cc), listed here by name so the choice needs no
 * base image; what none provides is returned for the caller to add as packages.
 */
import { analyzeNeeds, dirView, overlay, type CollectedView, type NeedsReport } from './index.ts';

export type LibcFlavour = 'static' | 'base' | 'cc';
export const LIBC_FLAVOURS: readonly LibcFlavour[] = ['static', 'base', 'cc'];

/** Sonames of Debian 12's libc6 (every architecture's loader name included) and libssl3. */
const BASE_LIBS = /^(ld-linux[-a-z0-9_.]*\.so\.[0-9]+|ld64\.so\.[12]|ld\.so\.1|libc\.so\.6|libm\.so\.6|libmvec\.so\.1|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libresolv\.so\.2|libutil\.so\.1|libanl\.so\.1|libBrokenLocale\.so\.1|libthread_db\.so\.1|libc_malloc_debug\.so\.0|libmemusage\.so|libpcprofile\.so|libnsl\.so\.1|libnss_[a-z]+\.so\.2|libssl\.so\.3|libcrypto\.so\.3)$/;
/** Sonames cc adds: libgcc-s1, libstdc++6, libgomp1. */
const CC_LIBS = /^(libgcc_s\.so\.1|libstdc\+\+\.so\.6|libgomp\.so\.1)$/;

/** The flavour that provides `soname`, or undefined when none does. */
export function flavourProviding(soname: string): LibcFlavour | undefined {
  if (BASE_LIBS.test(soname)) return 'base';
  if (CC_LIBS.test(soname)) return 'cc';
  return undefined;
}

/** The closure's choice: the smallest flavour, and the needs no flavour provides. */
export interface FlavourChoice {
  flavour: LibcFlavour;
  /** Needs no flavour provides (the packages to add come from the Contents index). */
  beyond: string[];
  /** Why: each need and the file that has it, for --explain and the lockfile. */
  reasons: { need: string; file: string; flavour: LibcFlavour | 'none' }[];
}

/** The smallest flavour for the unresolved needs of a report (the app's own files on their own). */
export function chooseFlavour(report: NeedsReport): FlavourChoice {
  let rank = 0;
  const beyond = new Set<string>();
  const reasons: FlavourChoice['reasons'] = [];
  for (const f of report.files) {
    if (f.interpreter?.status === 'missing') {
      rank = Math.max(rank, 1);
      reasons.push({ need: f.interpreter.path, file: f.path, flavour: 'base' });
    }
    for (const n of f.needs) {
      if (n.status !== 'missing') continue;
      const fl = flavourProviding(n.name.slice(n.name.lastIndexOf('/') + 1));
      reasons.push({ need: n.name, file: f.path, flavour: fl ?? 'none' });
      if (fl) rank = Math.max(rank, LIBC_FLAVOURS.indexOf(fl));
      else {
        beyond.add(n.name);
        // A library outside glibc is a C library built with gcc: it needs at least base.
        rank = Math.max(rank, 1);
      }
    }
  }
  return { flavour: LIBC_FLAVOURS[rank]!, beyond: [...beyond].sort(), reasons };
}

/** Host directories placed at image paths, later ones over earlier (a build's layers before they are written). */
export async function viewOfSources(sources: { src: string; dest: string }[]): Promise<CollectedView> {
  let cv;
  for (const s of sources) {
    const v = await dirView(s.src, s.dest);
    cv = cv ? overlay(cv, v) : v;
  }
  return cv ?? { view: { node: () => undefined, elf: () => undefined, text: () => undefined, list: () => [] }, elves: new Map(), hints: [], texts: new Map() };
}

/** The report over host directories placed at image paths, on their own. */
export async function needsOfSources(sources: { src: string; dest: string }[]): Promise<NeedsReport> {
  return analyzeNeeds(await viewOfSources(sources), 'build');
}
