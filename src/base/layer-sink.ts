/**
 * A layer written entry by entry as entries arrive from other streams (the data.tar of each
 * .deb in turn), straight into gzip on disk: the base builder never holds a package in memory.
 * Order is the caller's; callers keep it deterministic (packages by name, each in its tar order).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import * as tarStream from 'tar-stream';
import { DigestStream } from '../oci/digest.ts';
import { fileLayer } from '../oci/layer.ts';
import type { Layer } from '../oci/image.ts';
import { gzipCompressor } from '../oci/compression.ts';
import { pipeToFile } from '../util/files.ts';

export interface SinkHeader {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link';
  mode: number;
  uid: number;
  gid: number;
  size?: number;
  linkname?: string;
}

export class LayerSink {
  private readonly pack = tarStream.pack();
  private readonly diff = new DigestStream();
  private readonly comp = new DigestStream();
  private readonly done: Promise<void>;
  readonly file: string;
  private readonly mtime: Date;

  constructor(dir: string, mtime: Date) {
    this.file = join(dir, `layer-${randomBytes(6).toString('hex')}.tar.gz`);
    this.mtime = mtime;
    this.done = pipeToFile(this.file, this.pack as unknown as Readable, { via: [this.diff, gzipCompressor(), this.comp] });
    this.done.catch(() => undefined);
  }

  /** Adds one entry; `body` is required for files and must carry exactly `size` bytes. */
  async add(h: SinkHeader, body?: Readable | Buffer): Promise<void> {
    const header = {
      name: h.type === 'directory' && !h.name.endsWith('/') ? `${h.name}/` : h.name,
      type: h.type,
      mode: h.mode & 0o7777,
      uid: h.uid,
      gid: h.gid,
      uname: '',
      gname: '',
      mtime: this.mtime,
      size: h.type === 'file' ? (h.size ?? (Buffer.isBuffer(body) ? body.length : 0)) : 0,
      linkname: h.linkname,
    };
    if (h.type !== 'file' || body === undefined) {
      await new Promise<void>((res, rej) => this.pack.entry(header, (e) => (e ? rej(e) : res())));
      return;
    }
    if (Buffer.isBuffer(body)) {
      await new Promise<void>((res, rej) => this.pack.entry(header, body, (e) => (e ? rej(e) : res())));
      return;
    }
    await new Promise<void>((res, rej) => {
      const w = this.pack.entry(header, (e) => (e ? rej(e) : res()));
      body.on('error', (e) => {
        w.destroy(e);
        rej(e);
      });
      body.pipe(w);
    });
  }

  /** Ends the tar and returns the finished layer. */
  async finish(): Promise<Layer> {
    this.pack.finalize();
    await this.done;
    return fileLayer(this.file, { digest: this.comp.digest(), diffId: this.diff.digest(), size: this.comp.bytes });
  }

  async abort(): Promise<void> {
    this.pack.destroy();
    await this.done.catch(() => undefined);
    await rm(this.file, { force: true });
  }
}
