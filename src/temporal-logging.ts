/** Routes the Temporal SDK's runtime logs into our logger (once per process, before any worker). */
import { Runtime, type LogLevel as TLevel, type LogMetadata } from '@temporalio/worker';
import type { Logger } from './logger.js';

let installed = false;

export function installTemporalLogging(log: Logger, minLevel: TLevel = 'WARN'): void {
  if (installed) return;
  installed = true;
  const order: TLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
  const min = order.indexOf(minLevel);
  const l = log.child({ component: 'temporal-sdk' });
  const emit = (level: TLevel, message: string, meta?: LogMetadata) => {
    if (order.indexOf(level) < min) return;
    const m = meta as Record<string, unknown> | undefined;
    if (level === 'ERROR') l.error(message, m);
    else if (level === 'WARN') l.warn(message, m);
    else if (level === 'INFO') l.info(message, m);
    else l.debug(message, m);
  };
  try {
    Runtime.install({
      logger: {
        log: emit,
        trace: (m, x) => emit('TRACE', m, x),
        debug: (m, x) => emit('DEBUG', m, x),
        info: (m, x) => emit('INFO', m, x),
        warn: (m, x) => emit('WARN', m, x),
        error: (m, x) => emit('ERROR', m, x),
      },
    });
  } catch {
    /* already installed by the embedding program: keep its logger */
  }
}
