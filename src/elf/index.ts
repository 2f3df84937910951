/**
 * The ELF reader: structures from any random-access source (./elf.ts), files read by range
 * (./file.ts), files read from streams for their closure (./closure.ts), and ld.so's search
 * replayed over a filesystem view (./resolve.ts).
 */
export * from './elf.ts';
export * from './file.ts';
export * from './closure.ts';
export * from './resolve.ts';
