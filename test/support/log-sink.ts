/**
 * A pino destination that keeps the service's log lines for a test to look at, instead of
 * printing them: an error a test provokes on purpose is asserted, not left in the output.
 */
export function logSink() {
  const lines: string[] = [];
  return {
    lines,
    write: (line: string) => void lines.push(line),
    parsed: () => lines.map((l) => JSON.parse(l) as Record<string, any>),
    /** Messages of error-level (and worse) lines. */
    errors: () => lines.map((l) => JSON.parse(l) as Record<string, any>).filter((l) => l.level >= 50).map((l) => String(l.msg)),
  };
}
