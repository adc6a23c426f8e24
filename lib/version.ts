// Kept in step with package.json by `make` (see the version target); read at build time by bun --compile.
export const VERSION = "0.1.0";
