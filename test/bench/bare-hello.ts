/**
 * The benchmarks' fixed reference: a bare NestJS + Apollo "hello world" on Express, with
 * the very versions of NestJS, @nestjs/graphql, @nestjs/apollo and @apollo/server the
 * service uses, and nothing else (no logger, no guards, no plugins, no database). It is
 * the framework floor of the stack the service started from, whatever adapter the
 * service itself uses now, so `X ÷ bare` compares request paths across runs and machines.
 *
 * Run compiled and in production mode by the benches (see startBareHello in service.ts):
 *   node dist/test/bench/bare-hello.js   (PORT, default 3000)
 */
import 'reflect-metadata';
import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GraphQLModule, Query, Resolver } from '@nestjs/graphql';
import { ExpressAdapter } from '@nestjs/platform-express';

@Resolver()
class HelloResolver {
  @Query(() => String)
  hello(): string {
    return 'world';
  }
}

@Module({
  imports: [GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, autoSchemaFile: true, playground: false })],
  providers: [HelloResolver],
})
class BareHelloModule {}

async function main() {
  const app = await NestFactory.create(BareHelloModule, new ExpressAdapter(), { logger: ['error', 'warn'] });
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
}

void main();
