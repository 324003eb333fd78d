/** An error answered to a legacy caller the way dtle 2.x did: a status and a plain-text body. */
export class LegacyHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'LegacyHttpError';
  }
}

export const badRequest = (msg: string) => new LegacyHttpError(400, msg);
export const notFound = (msg: string) => new LegacyHttpError(404, msg);

