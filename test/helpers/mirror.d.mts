/** Types of mirror.mjs (plain JavaScript so the network guard can start it in any node process). */
import type { Server } from 'node:http';

export declare function mirrorDir(root: string): string;
export declare function startMirror(opts: { dir: string; record?: boolean; npmUpstream?: string }): Promise<{ url: string; server: Server; missing: string[]; close(): Promise<void> }>;
export declare function writeMirrorAptDir(base: string, out: string, etc?: string): string;
export declare function hasRecording(dir: string): boolean;
export declare function hasNpmRecording(dir: string): boolean;
