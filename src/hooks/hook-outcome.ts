/** How one run of a hook ended. `reason` is one line, already free of secrets. */
export type HookOutcome = { ok: true } | { ok: false; reason: string; timedOut?: boolean };
