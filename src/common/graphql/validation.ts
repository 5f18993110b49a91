import { ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError } from '../errors/domain.error';

/** Chinese wording for each class-validator constraint we use. */
const CONSTRAINT_TEXT: Record<string, string> = {
  isInt: '必须是整数',
  min: '数值过小',
  max: '数值过大',
  isPositive: '必须大于零',
  notEquals: '取值无效',
  maxLength: '内容过长',
  minLength: '内容过短',
  isNotEmpty: '不能为空',
  isUuid: '编号格式不正确',
  matches: '格式不正确',
  isMobilePhone: '手机号格式不正确',
  isDate: '时间格式不正确',
  isEnum: '取值无效',
  isIn: '取值无效',
  arrayMaxSize: '数量过多',
  arrayMinSize: '数量过少',
  noControlCharacters: '不能包含控制字符',
  isString: '必须是文字',
  isBoolean: '必须是真或假',
};

function flatten(errors: ValidationError[], prefix = ''): { field: string; problems: string[] }[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, problems: Object.keys(e.constraints) }] : [];
    return own.concat(flatten(e.children ?? [], field));
  });
}

/** Validates every GraphQL input and argument; failures become BAD_USER_INPUT with per-field details. */
export function createValidationPipe() {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidUnknownValues: false,
    stopAtFirstError: true,
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      const text = fields.map((f) => `${f.field}${f.problems.map((p) => CONSTRAINT_TEXT[p] ?? '无效').join('、')}`);
      return new DomainError('BAD_USER_INPUT', `输入有误：${text.join('；')}`, {
        fields: fields.map((f) => ({ field: f.field, constraints: f.problems })),
      });
    },
  });
}
