/**
 * Hands the C allocator's free pages back to the system. Everything outside
 * V8's heap (socket buffers, pending writes, the bytes behind every
 * `Uint8Array` sent) comes from glibc's malloc, which keeps pages it has
 * freed for reuse. After a join storm that is most of the server's memory:
 * 3000 idle members left 59 MB of freed pages resident until
 * `malloc_trim(0)` returned them, in 7.5 ms (docs/performance.md).
 *
 * The binary may load only the libc files listed here (scripts/permissions.ts
 * scopes `--allow-ffi` to them) and declares one symbol. Where no listed file
 * is glibc (macOS, Windows, a musl system) or FFI is not granted, there is no
 * trimmer and memory is left to the allocator.
 */

/** Where glibc lives on Debian, Ubuntu, Fedora, RHEL, SUSE and Arch, x86-64 and arm64. */
export const GLIBC_PATHS = [
  "/lib/x86_64-linux-gnu/libc.so.6",
  "/lib/aarch64-linux-gnu/libc.so.6",
  "/lib64/libc.so.6",
  "/usr/lib64/libc.so.6",
  "/usr/lib/libc.so.6",
] as const;

const SYMBOLS = { malloc_trim: { parameters: ["usize"], result: "i32" } } as const;

/**
 * A function that returns the C heap's free pages to the system, or null
 * where that cannot be done here. Never prompts for a permission.
 */
export function nativeHeapTrimmer(paths: readonly string[] = GLIBC_PATHS): (() => void) | null {
  if (Deno.build.os !== "linux") return null;
  for (const path of paths) {
    if (Deno.permissions.querySync({ name: "ffi", path }).state !== "granted") continue;
    try {
      const libc = Deno.dlopen(path, SYMBOLS);
      return () => void libc.symbols.malloc_trim(0n);
    } catch {
      // Not here, or not glibc: try the next place.
    }
  }
  return null;
}
