import winston from 'winston';
import type Transport from 'winston-transport';
import { redactDeep, redactText } from './redact';

export { redactDeep, redactText, isSecretKey, REDACTED } from './redact';

export type Logger = winston.Logger;

export interface LoggerOptions {
  level?: string;
  format?: 'json' | 'text';
  /** values to scrub wherever they appear, e.g. the configured Nomad token */
  secrets?: readonly string[];
  /** replaces the console transport (tests collect lines through this) */
  transports?: Transport[];
  silent?: boolean;
}

const SPLAT = Symbol.for('splat');

/** A winston format that scrubs secrets from the message and every metadata field. */
function redaction(secrets: readonly string[]) {
  return winston.format((info) => {
    const clean = redactDeep({ ...info }, secrets) as Record<string, unknown>;
    for (const key of Object.keys(info)) delete (info as Record<string, unknown>)[key];
    Object.assign(info, clean);
    if (typeof info.message === 'string') info.message = redactText(info.message, secrets);
    // winston keeps the original splat/level under symbols; drop the splat so nothing unredacted survives
    delete (info as Record<symbol, unknown>)[SPLAT];
    return info;
  })();
}

const textLine = winston.format.printf((info) => {
  const { level, message, timestamp, ...rest } = info;
  const extra = Object.keys(rest).length > 0 ? ' ' + JSON.stringify(rest) : '';
  return `${String(timestamp)} ${level} ${String(message)}${extra}`;
});

/**
 * Drops a line below the logger's level before any other format runs: winston applies the
 * logger's formats to every line and filters by level only in the transports, so without this
 * each suppressed access-log line would still be redacted, timestamped and serialised.
 */
function levelGate(getLevel: () => string) {
  const levels = winston.config.npm.levels;
  return winston.format((info) => {
    const max = levels[getLevel()] ?? levels.info!;
    const own = levels[info.level];
    return own !== undefined && own > max ? false : info;
  })();
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const secrets = opts.secrets ?? [];
  let logger: Logger | null = null;
  const format = winston.format.combine(
    levelGate(() => logger?.level ?? opts.level ?? 'info'),
    redaction(secrets),
    winston.format.timestamp(),
    opts.format === 'text' ? textLine : winston.format.json(),
  );
  logger = winston.createLogger({
    level: opts.level ?? 'info',
    format,
    silent: opts.silent ?? false,
    transports: opts.transports ?? [new winston.transports.Console({ stderrLevels: [] })],
  });
  return logger;
}
