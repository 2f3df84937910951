/**
 * sha256 verification on a worker thread, for large downloads whose chunks nobody else holds.
 *
 * A pull is CPU-bound on two cores: the registry, the kernel's socket and page-cache copies and the
 * JS thread (HTTP parsing, streams, hashing) share them, and hashing was the largest single cost on
 * the JS thread (~120 ms of a 200 MB pull, measured with --cpu-prof). `ThreadDigestStream` does what
 * DigestStream does, but hands each batch of chunks to a worker thread that hashes them and hands
 * them back: the buffers are transferred, not copied, so the JS thread only parses and writes.
 * Chunks go in batches of at least MIN_BATCH bytes (the last may be smaller); while one batch is on
 * the worker, the next chunks queue in the writable buffer.
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

/**
 * Chunks are held until a batch of this many bytes forms (or the blob ends): each batch costs two
 * cross-thread wake-ups, and on two busy cores every wake-up can take the CPU from the JS thread.
 * Batches formed only by backpressure averaged ~210 KiB (1050 round trips for a 200 MB pull);
 * holding for 1 MiB took a CLI pull from 0.50 to 0.47 s (medians of 21), where 512 KiB and 2 MiB
 * were both slower.
 */
const MIN_BATCH = 1024 * 1024;

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
  /** Batches sent to the worker so far. */
  batches = 0;
  private readonly id = nextId++;
  private started = false;
  private held: Buffer[] = [];
  private heldBytes = 0;

  constructor(private readonly expected: { digest: Digest; size?: number; what: string }) {
    // Deep enough that a batch forms while the previous one is on the worker.
    super({ highWaterMark: 1024 * 1024 });
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (e?: Error | null) => void): void {
    for (const { chunk } of chunks) {
      this.bytes += chunk.length;
      this.heldBytes += chunk.length;
      this.held.push(chunk);
    }
    const over = sizeExceeded(this.expected, this.bytes);
    if (over) return cb(over);
    if (this.heldBytes < MIN_BATCH) return cb();
    this.started = true;
    this.sendHeld(false).then(() => cb(), cb);
  }

  /** Sends what is held (with `end`, the job's end) and passes the chunks on when they are back. */
  private async sendHeld(end: boolean): Promise<Reply> {
    const batch = transferable(this.held);
    this.held = [];
    this.heldBytes = 0;
    this.batches++;
    const r = await send(this.id, batch, end);
    for (const c of r.chunks) this.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
    return r;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this._writev([{ chunk }], cb);
  }

  override _flush(cb: TransformCallback): void {
    this.started = true;
    this.sendHeld(true).then((r) => {
      this.started = false;
      cb(blobMismatch(this.expected, this.bytes, r.digest));
    }, cb);
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    this.held = [];
    // A stream given up half-way leaves no hash state behind on the worker.
    if (this.started && shared) shared.worker.postMessage({ id: this.id, abort: true, chunks: [] });
    cb(err);
  }
}
