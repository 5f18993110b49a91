import { ParseUUIDPipe } from '@nestjs/common';
import { DomainError } from '../errors/domain.error';

/** Pipe for ID arguments: a malformed id is BAD_USER_INPUT before any query runs. */
export const uuidArg = new ParseUUIDPipe({
  exceptionFactory: () => new DomainError('BAD_USER_INPUT', '输入有误：编号格式不正确', { field: 'id' }),
});

/** The same for optional ID arguments: absent (or null) passes, malformed is BAD_USER_INPUT. */
export const optionalUuidArg = new ParseUUIDPipe({
  optional: true,
  exceptionFactory: () => new DomainError('BAD_USER_INPUT', '输入有误：编号格式不正确', { field: 'id' }),
});
