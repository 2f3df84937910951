/**
 * CycloneDX 1.6 JSON for an SBOM, built with the CycloneDX project's own library (its models and
 * JSON serializer), so the output follows the spec's normalization rules. The image (or
 * directory) is `metadata.component`; the operating system and each package are components with
 * purl, a unique bom-ref, licenses and `distill:*` properties.
 */
import { randomUUID } from 'node:crypto';
import * as CDX from '@cyclonedx/cyclonedx-library';
import type { Sbom } from '../analyze/sbom.ts';
import type { Package } from '../analyze/package.ts';
import { VERSION } from '../version.ts';

export interface BomOptions {
  /** `urn:uuid:…`; random by default. */
  serialNumber?: string;
  /** Defaults to SOURCE_DATE_EPOCH when set, else now. */
  timestamp?: Date;
}

/** The creation time reproducible builds ask for, else now. */
export function creationTime(): Date {
  const e = process.env.SOURCE_DATE_EPOCH;
  return e && /^\d+$/.test(e) ? new Date(Number(e) * 1000) : new Date();
}

/** Splits a license string into SPDX ids, one SPDX expression, or free-text names. */
export function classifyLicense(l: string): { id: string } | { expression: string } | { name: string } {
  const id = CDX.SPDX.fixupSpdxId(l);
  if (id) return { id };
  const tokens = l.replace(/[()]/g, ' ').split(/\s+/).filter(Boolean);
  if (tokens.length > 1 && tokens.every((t) => /^(AND|OR|WITH)$/.test(t) || CDX.SPDX.isSupportedSpdxId(t) || /^[A-Za-z0-9.-]+-exception(-[\d.]+)?$/i.test(t) || /exception/i.test(t))) {
    return { expression: l };
  }
  return { name: l };
}

function licensesOf(p: Package): CDX.Models.LicenseRepository {
  const repo = new CDX.Models.LicenseRepository();
  const ls = p.licenses ?? [];
  const classified = ls.map(classifyLicense);
  // CycloneDX allows either one expression or a list of licenses, not both.
  const expr = classified.find((c): c is { expression: string } => 'expression' in c);
  if (expr && ls.length === 1) {
    repo.add(new CDX.Models.LicenseExpression(expr.expression));
    return repo;
  }
  for (const c of classified) {
    if ('id' in c) repo.add(new CDX.Models.SpdxLicense(c.id));
    else repo.add(new CDX.Models.NamedLicense('expression' in c ? c.expression : c.name));
  }
  return repo;
}

/** Builds the CycloneDX model of an SBOM. */
export function toCycloneDxModel(sbom: Sbom, opts: BomOptions = {}): CDX.Models.Bom {
  const bom = new CDX.Models.Bom();
  bom.serialNumber = opts.serialNumber ?? `urn:uuid:${randomUUID()}`;
  bom.metadata.timestamp = opts.timestamp ?? creationTime();
  bom.metadata.tools.components.add(new CDX.Models.Component(CDX.Enums.ComponentType.Application, 'distill', { version: VERSION }));
  const root = new CDX.Models.Component(
    sbom.source.type === 'image' ? CDX.Enums.ComponentType.Container : CDX.Enums.ComponentType.Application,
    sbom.source.name,
    { bomRef: 'distill:root' },
  );
  if (sbom.source.digest) root.properties.add(new CDX.Models.Property('distill:image:digest', sbom.source.digest));
  bom.metadata.component = root;
  if (sbom.distro) {
    const os = new CDX.Models.Component(CDX.Enums.ComponentType.OperatingSystem, sbom.distro.id, {
      bomRef: 'distill:os',
      ...(sbom.distro.versionId ? { version: sbom.distro.versionId } : {}),
      ...(sbom.distro.prettyName ? { description: sbom.distro.prettyName } : {}),
    });
    bom.components.add(os);
    root.dependencies.add(os.bomRef);
  }
  const used = new Map<string, number>();
  for (const p of sbom.packages) {
    const n = used.get(p.purl) ?? 0;
    used.set(p.purl, n + 1);
    const c = new CDX.Models.Component(CDX.Enums.ComponentType.Library, p.name, {
      version: p.version,
      bomRef: n === 0 ? p.purl : `${p.purl}#${n}`,
      purl: p.purl,
    });
    if (p.type === 'maven' && p.metadata?.groupId) {
      c.group = String(p.metadata.groupId);
      c.name = String(p.metadata.artifactId);
    }
    c.licenses = licensesOf(p);
    c.properties.add(new CDX.Models.Property('distill:package:type', p.type));
    c.properties.add(new CDX.Models.Property('distill:cataloger', p.cataloger));
    for (const l of p.locations) c.properties.add(new CDX.Models.Property('distill:location', l));
    if (p.arch) c.properties.add(new CDX.Models.Property('distill:arch', p.arch));
    if (p.sourceName) c.properties.add(new CDX.Models.Property('distill:source:name', p.sourceName));
    if (p.sourceVersion) c.properties.add(new CDX.Models.Property('distill:source:version', p.sourceVersion));
    if (p.declared) c.properties.add(new CDX.Models.Property('distill:evidence', 'declared (lockfile)'));
    if (p.dev) c.properties.add(new CDX.Models.Property('distill:dev', 'true'));
    bom.components.add(c);
    root.dependencies.add(c.bomRef);
  }
  return bom;
}

/** CycloneDX 1.6 JSON text of an SBOM. */
export function toCycloneDxJson(sbom: Sbom, opts: BomOptions = {}): string {
  const ser = new CDX.Serialize.JsonSerializer(new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot6));
  return ser.serialize(toCycloneDxModel(sbom, opts), { sortLists: true, space: 2 }) + '\n';
}
