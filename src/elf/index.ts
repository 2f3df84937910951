/** The ELF reader: structures from any random-access source (./elf.ts), files read by range (./file.ts). */
export * from './elf.ts';
export * from './file.ts';
