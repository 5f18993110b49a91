import { ERROR_MESSAGES } from '../../src/common/errors/error-code';
import { GqlResponse } from './test-app';

const KNOWN_CODES = new Set<string>([...Object.keys(ERROR_MESSAGES), 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED']);

/** What is wrong with a refusal, or null when it is a proper coded error: a known code (never INTERNAL_SERVER_ERROR), a Chinese message, no data. */
export function refusalProblem(res: GqlResponse): string | null {
  const error = res.errors?.[0];
  if (!error) return 'accepted';
  const code = error.extensions?.code;
  if (!code || !KNOWN_CODES.has(code) || code === 'INTERNAL_SERVER_ERROR') return `code ${code}`;
  if (!/[\u4e00-\u9fff]/.test(error.message)) return `message not Chinese: ${error.message}`;
  if (Object.values(res.data ?? {}).some((v) => v !== null)) return 'data returned with the error';
  return null;
}
