import {
  ArgumentsHost,
  Catch,
  Controller,
  ExceptionFilter,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { DomainError } from '../common/errors/domain.error';
import { ErrorCode } from '../common/errors/error-code';
import { isUuid } from '../common/ids';
import { MAX_PHOTO_BYTES } from './deed-photo';
import { DeedService } from './deed.service';

/** Bodies the upload reads (to answer PHOTO_TOO_LARGE) before it stops listening and closes the connection. */
const HARD_BODY_CAP = 4 * MAX_PHOTO_BYTES;

const STATUS: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: HttpStatus.UNAUTHORIZED,
  FORBIDDEN: HttpStatus.FORBIDDEN,
  NOT_FOUND: HttpStatus.NOT_FOUND,
  BAD_USER_INPUT: HttpStatus.BAD_REQUEST,
  RATE_LIMITED: HttpStatus.TOO_MANY_REQUESTS,
  PHOTO_TOO_LARGE: HttpStatus.PAYLOAD_TOO_LARGE,
  PHOTO_TYPE_NOT_ALLOWED: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
};

/** Coded errors of the photo routes as `{ code, message }` with an HTTP status. */
@Catch(DomainError)
export class DeedPhotoErrorFilter implements ExceptionFilter {
  catch(error: DomainError, host: ArgumentsHost) {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    void reply
      .status(STATUS[error.code] ?? HttpStatus.INTERNAL_SERVER_ERROR)
      .header('content-type', 'application/json; charset=utf-8')
      .send({ code: error.code, message: error.message });
  }
}

/**
 * The photos of good-deed reports, with the bearer token like the API:
 * POST /deeds/photos        the raw bytes of one JPEG, PNG or WebP (≤ 5 MB) as the body
 *                           → 201 { photoId, contentType, size }; 413 PHOTO_TOO_LARGE,
 *                           415 PHOTO_TYPE_NOT_ALLOWED (decided by the bytes, not the header)
 * GET  /deeds/photos/:id    the photo, to those who may see its report (else 404)
 */
@UseFilters(DeedPhotoErrorFilter)
@Controller('deeds/photos')
export class DeedPhotoController {
  constructor(private readonly deeds: DeedService) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  async upload(@CurrentPrincipal() actor: Principal, @Req() request: FastifyRequest) {
    const body = request.body as unknown;
    if (!isReadable(body)) throw new DomainError('PHOTO_TYPE_NOT_ALLOWED');
    const data = await readCapped(body, MAX_PHOTO_BYTES);
    if (data === 'too large') throw new DomainError('PHOTO_TOO_LARGE');
    return this.deeds.uploadPhoto(actor, data);
  }

  @Get(':id')
  async photo(@CurrentPrincipal() actor: Principal, @Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply) {
    if (!isUuid(id)) throw new DomainError('NOT_FOUND', '未找到该照片');
    const photo = await this.deeds.photo(actor, id);
    void reply
      .header('content-type', photo.contentType)
      .header('cache-control', 'private, max-age=3600')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'");
    return photo.data;
  }
}

function isReadable(body: unknown): body is Readable {
  return !!body && typeof (body as Readable).on === 'function' && typeof (body as Readable).read === 'function';
}

/**
 * The body, or 'too large' once it passes `limit` bytes. A larger body is still read (and
 * dropped) up to HARD_BODY_CAP so the client gets the coded answer; beyond that the
 * connection is closed.
 */
function readCapped(stream: Readable, limit: number): Promise<Buffer | 'too large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else chunks.length = 0;
      if (size > HARD_BODY_CAP) {
        stream.destroy();
        resolve('too large');
      }
    });
    stream.on('end', () => resolve(size > limit ? 'too large' : Buffer.concat(chunks, size)));
    stream.on('error', reject);
  });
}
