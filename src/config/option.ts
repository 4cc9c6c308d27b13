/** One option's declaration; `options.ts` and each feature's `options.ts` list them. */
export interface OptionSpec<T> {
  /** Environment variable name; the flag is derived from it. */
  env: string;
  /** Default value, or a function of the options read so far (see `issuer`). */
  default: T | undefined;
  /** Human-readable default for the docs, when the value is derived. */
  defaultDoc?: string;
  doc: string;
  parse: (raw: string) => T;
}

export function option<T>(spec: OptionSpec<T>): OptionSpec<T> {
  return spec;
}

/** The values a table of options reads to: `{ port: number, … }` for `{ port: option<number>(…), … }`. */
export type OptionValues<S> = { [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never };
