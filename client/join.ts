/** Placeholder until the terminal client lands. */
export function join(_options: { host: string; port: number; nick?: string }): Promise<number> {
  return Promise.resolve(1);
}
