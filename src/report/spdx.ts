/**
 * SPDX 2.3 JSON for an SBOM. Hand-written: the JS SPDX libraries are unmaintained or target
 * SPDX 3, and a 2.3 document is a flat list of packages and relationships. The image (or
 * directory) is the described package; every found package is CONTAINED by it, with its purl as a
 * PACKAGE-MANAGER external reference. Licenses that are not SPDX ids or expressions become
 * `LicenseRef-` entries with their text in `hasExtractedLicensingInfos`.
 */
import { randomUUID } from 'node:crypto';
import type { Sbom } from '../analyze/sbom.ts';
import type { Package } from '../analyze/package.ts';
import { VERSION } from '../version.ts';
import { classifyLicense, creationTime } from './cyclonedx.ts';

export interface SpdxOptions {
  /** Unique id in the document namespace; random by default. */
  uuid?: string;
  created?: Date;
}

export interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  downloadLocation: 'NOASSERTION';
  filesAnalyzed: false;
  licenseConcluded: 'NOASSERTION';
  licenseDeclared: string;
  copyrightText: 'NOASSERTION';
  primaryPackagePurpose?: string;
  sourceInfo?: string;
  supplier?: string;
  externalRefs?: { referenceCategory: 'PACKAGE-MANAGER'; referenceType: 'purl'; referenceLocator: string }[];
  comment?: string;
}

export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[] };
  packages: SpdxPackage[];
  relationships: { spdxElementId: string; relationshipType: 'DESCRIBES' | 'CONTAINS'; relatedSpdxElement: string }[];
  hasExtractedLicensingInfos?: { licenseId: string; extractedText: string; name: string }[];
}

/** SPDX ids allow letters, digits, `.` and `-` only. */
function idPart(s: string): string {
  return s.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

/** Builds the SPDX 2.3 document of an SBOM. */
export function toSpdxDocument(sbom: Sbom, opts: SpdxOptions = {}): SpdxDocument {
  const uuid = opts.uuid ?? randomUUID();
  const created = (opts.created ?? creationTime()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const extracted = new Map<string, { licenseId: string; extractedText: string; name: string }>();
  const declared = (p: Package): string => {
    const parts = (p.licenses ?? []).map((l) => {
      const c = classifyLicense(l);
      if ('id' in c) return c.id;
      if ('expression' in c) return (p.licenses!.length > 1 ? `(${c.expression})` : c.expression);
      const id = `LicenseRef-${idPart(c.name)}`;
      extracted.set(id, { licenseId: id, extractedText: c.name, name: c.name });
      return id;
    });
    return parts.length ? parts.join(' AND ') : 'NOASSERTION';
  };
  const rootId = 'SPDXRef-' + (sbom.source.type === 'image' ? 'Image' : 'Directory');
  const root: SpdxPackage = {
    SPDXID: rootId,
    name: sbom.source.name,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    primaryPackagePurpose: sbom.source.type === 'image' ? 'CONTAINER' : 'OTHER',
    ...(sbom.source.digest ? { versionInfo: sbom.source.digest } : {}),
  };
  const packages: SpdxPackage[] = [root];
  const relationships: SpdxDocument['relationships'] = [{ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: rootId }];
  if (sbom.distro) {
    packages.push({
      SPDXID: 'SPDXRef-OperatingSystem',
      name: sbom.distro.id,
      ...(sbom.distro.versionId ? { versionInfo: sbom.distro.versionId } : {}),
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      primaryPackagePurpose: 'OPERATING_SYSTEM',
    });
    relationships.push({ spdxElementId: rootId, relationshipType: 'CONTAINS', relatedSpdxElement: 'SPDXRef-OperatingSystem' });
  }
  sbom.packages.forEach((p, i) => {
    const id = `SPDXRef-Package-${idPart(p.type)}-${idPart(p.name)}-${i}`;
    packages.push({
      SPDXID: id,
      name: p.name,
      versionInfo: p.version,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: declared(p),
      copyrightText: 'NOASSERTION',
      primaryPackagePurpose: p.type === 'binary' || (p.type === 'golang' && p.metadata?.role === 'main') ? 'APPLICATION' : 'LIBRARY',
      sourceInfo: `found by distill's ${p.cataloger} cataloger in: ${p.locations.join(', ')}${p.sourceName ? `; built from source package ${p.sourceName}${p.sourceVersion ? ` ${p.sourceVersion}` : ''}` : ''}`,
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p.purl }],
      ...(p.declared || p.dev ? { comment: [p.declared ? 'declared (lockfile): named by a lockfile, not found installed' : '', p.dev ? 'development dependency' : ''].filter(Boolean).join('; ') } : {}),
    });
    relationships.push({ spdxElementId: rootId, relationshipType: 'CONTAINS', relatedSpdxElement: id });
  });
  const doc: SpdxDocument = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: sbom.source.name,
    documentNamespace: `https://spdx.org/spdxdocs/distill-${idPart(sbom.source.name)}-${uuid}`,
    creationInfo: { created, creators: [`Tool: distill-${VERSION}`] },
    packages,
    relationships,
  };
  if (extracted.size) doc.hasExtractedLicensingInfos = [...extracted.values()].sort((a, b) => a.licenseId.localeCompare(b.licenseId));
  return doc;
}

/** SPDX 2.3 JSON text of an SBOM. */
export function toSpdxJson(sbom: Sbom, opts: SpdxOptions = {}): string {
  return JSON.stringify(toSpdxDocument(sbom, opts), null, 2) + '\n';
}



