/** Audit names the migrations write and the checklist reads (no I/O here, so gates/ can import it). */

/** The audit target of a release's rehearsals: one per release digest, whatever its version. */
export const rehearsalTarget = (app: string, digest: string): string => `${app}@${digest}`;
