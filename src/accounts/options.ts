/** Options of the accounts feature (see config/options.ts for how they are read and documented). */
export const accountOptions = {} as const;
