/** 2.x's query-meta headers (X-Udup-Index, -Knownleader, -Lastcontact), where an error carries them. */
export interface ErrorMeta {
  index: string | null;
  knownLeader: string | null;
  lastContact: string | null;
}

/**
 * An error answered to a legacy caller the way dtle 2.x did: a status and a plain-text body, and
 * the query-meta headers where 2.x set them before the error (the 404s of its reads).
 */
export class LegacyHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly meta: ErrorMeta | null = null,
  ) {
    super(message);
    this.name = 'LegacyHttpError';
  }
}

export const badRequest = (msg: string) => new LegacyHttpError(400, msg);
export const notFound = (msg: string, meta: ErrorMeta | null = null) => new LegacyHttpError(404, msg, meta);

