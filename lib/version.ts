// Kept in step with package.json by hand (test/lib/small-parts.test.ts checks it); compiled into the binary.
export const VERSION = "0.1.0";
