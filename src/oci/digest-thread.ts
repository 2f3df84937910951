/**
 * sha256 verification on a worker thread, for large downloads whose chunks nobody else holds.
 *
 * A pull is CPU-bound on two cores: the registry, the kernel's socket and page-cache copies and the
 * JS thread (HTTP parsing, streams, hashing) share them, and hashing was the largest single cost on
 * the JS thread (~120 ms of a 200 MB pull, measured with --cpu-prof). `ThreadDigestStream` does what
 * DigestStream does, but hands each batch of chunks to a worker thread that hashes them and hands
 * them back: the buffers are transferred, not copied, so the JS thread only parses and writes.
 * Batches form by themselves: while one batch is on the worker, the next chunks queue in the
 * writable buffer and go together (`_writev`).
 *
 * Transferring a buffer detaches it from every view of it, so only chunks that are the sole view of
 * their memory are transferred (the rest are copied first), and only streams whose source says its
 * chunks are not held elsewhere (`OWNED_CHUNKS`) may use this. Hand-written: no library does
 * streaming hashes off the main thread.
 */
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { blobMismatch, sizeExceeded, type Digest } from './digest.ts';

/** Set (to true) on a Readable whose chunks nobody else keeps, so they may be transferred. */
export const OWNED_CHUNKS = Symbol('distill.ownedChunks');

/** Whether `s` declares its chunks transferable. */
export function ownsChunks(s: Readable): boolean {
  return (s as Readable & { [OWNED_CHUNKS]?: boolean })[OWNED_CHUNKS] === true;
}

// CommonJS source evaluated in the worker: one incremental hash per job id.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const jobs = new Map();
parentPort.on('message', (m) => {
  if (m.abort) { jobs.delete(m.id); return; }
  let h = jobs.get(m.id);
  if (!h) jobs.set(m.id, (h = createHash('sha256')));
  for (const c of m.chunks) h.update(c);
  const reply = { id: m.id, chunks: m.chunks };
  if (m.end) { reply.digest = 'sha256:' + h.digest('hex'); jobs.delete(m.id); }
  parentPort.postMessage(reply, m.chunks.map((c) => c.buffer));
});
`;

interface Reply {
  id: number;
  chunks: Uint8Array[];
  digest?: Digest;
}

interface Shared {
  worker: Worker;
  waiting: Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>;
}

let shared: Shared | undefined;
let nextId = 1;

function hashWorker(): Shared {
  if (shared) return shared;
  // No inherited node flags: --input-type=module or a loader would change how the source runs.
  // node:worker_threads loads with the first large download rather than before the first request.
  const { Worker: WorkerClass } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
  const worker = new WorkerClass(WORKER_SOURCE, { eval: true, execArgv: [] });
  // Idle, it must not keep the process alive; it is ref'd while a batch is out.
  worker.unref();
  const s: Shared = { worker, waiting: new Map() };
  worker.on('message', (r: Reply) => {
    const w = s.waiting.get(r.id);
    s.waiting.delete(r.id);
    if (s.waiting.size === 0) worker.unref();
    w?.resolve(r);
  });
  const fail = (e: Error) => {
    if (shared === s) shared = undefined;
    for (const w of s.waiting.values()) w.reject(e);
    s.waiting.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`hash worker exited with code ${code}`)));
  shared = s;
  return s;
}

function send(id: number, chunks: Uint8Array[], end: boolean): Promise<Reply> {
  const s = hashWorker();
  return new Promise((resolve, reject) => {
    s.waiting.set(id, { resolve, reject });
    s.worker.ref();
    s.worker.postMessage({ id, chunks, end }, chunks.map((c) => c.buffer as ArrayBuffer));
  });
}

/** The chunks as sole views of their memory: shared or partial views are copied. */
function transferable(chunks: Buffer[]): Uint8Array[] {
  const seen = new Set<ArrayBufferLike>();
  return chunks.map((c) => {
    const whole = c.byteOffset === 0 && c.byteLength === c.buffer.byteLength && !seen.has(c.buffer);
    const out = whole ? c : new Uint8Array(c);
    seen.add(out.buffer);
    return out;
  });
}

/**
 * A pass-through that verifies size and sha256 like DigestStream, hashing on a worker thread. Use
 * only on sources that own their chunks (see OWNED_CHUNKS): the chunks it receives are detached.
 */
export class ThreadDigestStream extends Transform {
  bytes = 0;
  private readonly id = nextId++;
  private started = false;

  constructor(private readonly expected: { digest: Digest; size?: number; what: string }) {
    // Deep enough that a batch forms while the previous one is on the worker.
    super({ highWaterMark: 1024 * 1024 });
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (e?: Error | null) => void): void {
    const bufs = chunks.map((c) => c.chunk);
    for (const b of bufs) this.bytes += b.length;
    const over = sizeExceeded(this.expected, this.bytes);
    if (over) return cb(over);
    this.started = true;
    send(this.id, transferable(bufs), false).then((r) => {
      for (const c of r.chunks) this.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
      cb();
    }, cb);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this._writev([{ chunk }], cb);
  }

  override _flush(cb: TransformCallback): void {
    send(this.id, [], true).then((r) => {
      this.started = false;
      cb(blobMismatch(this.expected, this.bytes, r.digest));
    }, cb);
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    // A stream given up half-way leaves no hash state behind on the worker.
    if (this.started && shared) shared.worker.postMessage({ id: this.id, abort: true, chunks: [] });
    cb(err);
  }
}
