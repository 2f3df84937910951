/**
 * ELF files on disk, read by range: the header, the program header table, the dynamic section and
 * the strings asked for are each one pread, so a 100 MB binary costs a few KiB of reads.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { ElfError, openElf, type Elf, type ElfSource, type ElfSummary } from './elf.ts';

/** A source over an open file descriptor of `size` bytes; each read is one pread of that range. */
export function fdSource(fd: number, size: number): ElfSource {
  return {
    size,
    read(offset, length) {
      const b = Buffer.alloc(length);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, b, got, length - got, offset + got);
        if (n === 0) throw new ElfError(`file ended at ${offset + got} while reading ${length} bytes at ${offset} (it shrank while being read)`);
        got += n;
      }
      return b;
    },
  };
}

/**
 * Opens `path`, hands its reader to `fn` and closes the file. Undefined when the file is not a
 * regular file or not ELF; errors opening it (ENOENT, EACCES) and `ElfError`s from `fn` propagate.
 */
export function withElfFile<T>(path: string, fn: (elf: Elf) => T): T | undefined {
  // O_NONBLOCK: a FIFO in an app directory must not block the open; regular files ignore it.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    const elf = openElf(fdSource(fd, st.size));
    return elf ? fn(elf) : undefined;
  } finally {
    closeSync(fd);
  }
}

/** Everything `Elf.summary` reads, for the file at `path`; undefined when it is not ELF. */
export function readElfFile(path: string): ElfSummary | undefined {
  return withElfFile(path, (elf) => elf.summary());
}
