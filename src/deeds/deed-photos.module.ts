import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { DeedPhotoController } from './deed-photo.controller';
import { DeedsModule } from './deeds.module';

/** Upload bodies: any image type the client names, or none in particular; the bytes decide. */
const UPLOAD_TYPES = /^(image\/[\w.+-]+|application\/octet-stream)(;|$)/i;

/** The photo routes: the API's only (the worker imports DeedsModule for its job, not these). */
@Module({ imports: [DeedsModule], controllers: [DeedPhotoController] })
export class DeedPhotosModule implements OnModuleInit {
  constructor(private readonly adapter: HttpAdapterHost) {}

  /** Image bodies reach the upload route as the raw stream (it enforces the size); Fastify's JSON limit stays for the rest. */
  onModuleInit(): void {
    const fastify = this.adapter.httpAdapter?.getInstance() as FastifyInstance | undefined;
    if (!fastify || fastify.hasContentTypeParser('application/octet-stream')) return;
    fastify.addContentTypeParser(UPLOAD_TYPES, (_request, payload, done) => done(null, payload));
  }
}
