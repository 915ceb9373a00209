import { closeSync, mkdtempSync, openSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runToExit } from './process-groups.js';
import type { TestLike } from './worker-harness.js';

/** Run a mount command to its end; throws with its stderr unless it exits 0. */
async function mountCommand(t: TestLike, command: string, args: string[]): Promise<void> {
  const res = await runToExit(t, command, args);
  if (res.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${res.code ?? res.signal}): ${res.stderr.trim()}`);
}

/**
 * A real small filesystem for store fault tests: a tmpfs of `bytes` on a new directory (needs root with
 * CAP_SYS_ADMIN, as in the CI container; elsewhere `mounted` is false with the reason), which can be
 * filled to ENOSPC and remounted read-only. Unmounted and removed in teardown.
 */
export async function mountTmpfs(t: TestLike, bytes: number): Promise<{ mounted: boolean; dir: string; reason: string }> {
  // Not in t.testdir(): tap removes that before the teardowns run, and a mount point cannot be removed.
  const dir = mkdtempSync(join(tmpdir(), 'hook-alerts-volume-'));
  const mount = await runToExit(t, 'mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
  if (mount.code !== 0) {
    rmdirSync(dir);
    return { mounted: false, dir, reason: `cannot mount a tmpfs: ${mount.stderr.trim()}` };
  }
  t.teardown(async () => {
    // Lazy: a store that a failed test left open must not keep the mount.
    await mountCommand(t, 'umount', ['-l', dir]);
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
export async function remountReadOnly(t: TestLike, dir: string): Promise<void> {
  await mountCommand(t, 'mount', ['-o', 'remount,ro', dir]);
}
