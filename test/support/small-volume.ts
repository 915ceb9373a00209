import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeError } from '../../src/errors.js';
import type { TestLike } from './worker-harness.js';

/**
 * A real small filesystem for store fault tests: a tmpfs of `bytes` on a new directory (needs root with
 * CAP_SYS_ADMIN, as in the CI container; elsewhere `mounted` is false with the reason), which can be
 * filled to ENOSPC and remounted read-only. Unmounted and removed in teardown.
 */
export function mountTmpfs(t: TestLike, bytes: number): { mounted: boolean; dir: string; reason: string } {
  // Not in t.testdir(): tap removes that before the teardowns run, and a mount point cannot be removed.
  const dir = mkdtempSync(join(tmpdir(), 'hook-alerts-volume-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmdirSync(dir);
    return { mounted: false, dir, reason: `cannot mount a tmpfs: ${describeError(err).trim()}` };
  }
  t.teardown(() => {
    // Lazy: a store that a failed test left open must not keep the mount.
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    rmdirSync(dir);
  });
  return { mounted: true, dir, reason: `a ${bytes}-byte tmpfs` };
}

/** Write a file on the volume until the kernel answers ENOSPC; `release()` deletes it. */
export function fillVolume(dir: string): { bytes: number; release(): void } {
  const file = join(dir, 'filler');
  const fd = openSync(file, 'w');
  let bytes = 0;
  try {
    // Large blocks first, then pages, so that not even one page is left.
    for (const size of [1 << 16, 1 << 12]) {
      const block = Buffer.alloc(size, 0x61);
      for (;;) {
        try {
          bytes += writeSync(fd, block);
        } catch (err) {
          if ((err as { code?: unknown }).code !== 'ENOSPC') throw err;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return { bytes, release: () => unlinkSync(file) };
}

/** Remount a tmpfs from mountTmpfs read-only (nothing may have a file open for writing on it). */
export function remountReadOnly(dir: string): void {
  execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' });
}
