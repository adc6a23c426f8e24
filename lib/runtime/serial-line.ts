// Serial lines without a native addon: the device is opened non-blocking (so no thread ever sits in
// a read that close cannot interrupt and that would steal the next bytes from a reopened line), and
// the line is set with the platform's own stty: the given baud, raw, 8N1, no echo, no flow control,
// and "min 1 time 0" so an empty non-blocking read says EAGAIN, never a 0 that looks like EOF.
import { execFile } from "node:child_process";
import fs from "node:fs";
import { LinkError } from "../link.ts";
import type { SerialOptions } from "../sockets.ts";

const RAW_8N1 = ["raw", "-echo", "-echoe", "-echok", "-echoctl", "-echoke", "-icanon", "-isig", "-iexten", "-ixon", "-ixoff", "-crtscts", "cs8", "-parenb", "-cstopb", "clocal", "min", "1", "time", "0"];

/** stty's arguments: GNU stty names the device with -F, the BSDs and macOS with -f. */
export function sttyArgs(path: string, baud: number, platform: string = process.platform): string[] {
  return [platform === "linux" ? "-F" : "-f", path, String(baud), ...RAW_8N1];
}

function stty(path: string, baud: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("stty", sttyArgs(path, baud), { timeout: 5000 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const detail = String(stderr).trim() || err.message;
      reject(new LinkError(`${path}: cannot set ${baud} baud 8N1 with stty: ${/ENOENT/.test(err.message) ? "stty not found" : detail}`));
    });
  });
}

function openFd(path: string): Promise<number> {
  const { O_RDWR, O_NOCTTY, O_NONBLOCK } = fs.constants;
  return new Promise((resolve, reject) => {
    fs.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK, (err, fd) => {
      if (!err) return resolve(fd);
      const hint = err.code === "EACCES" ? " (is the user in the dialout group?)" : "";
      reject(new LinkError(`${path}: cannot open serial device: ${err.message}${hint}`));
    });
  });
}

/** Opens and configures the line; the caller owns the returned descriptor. */
export async function openLine(opts: SerialOptions): Promise<number> {
  if (process.platform === "win32") throw new LinkError(`${opts.path}: serial devices are not supported on Windows; use a serial-over-TCP bridge`);
  if (!Number.isInteger(opts.baud) || opts.baud <= 0) throw new LinkError(`${opts.path}: baud must be a positive integer, got ${opts.baud}`);
  const fd = await openFd(opts.path);
  try {
    // Set while we hold it open: some drivers reset the line when its last user closes it.
    await stty(opts.path, opts.baud);
  } catch (err) {
    fs.close(fd, () => {});
    throw err;
  }
  return fd;
}
