/** The package version, kept in one place for --version and image annotations. */
export const VERSION = '0.1.0';
