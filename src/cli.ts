import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { CliModule } from './cli.module';
import { DEMO_SHOP_VILLAGES, seedDemo, shopkeeperMobile } from './demo/demo-seed';
import { ConfigError, loadConfig } from './config/app-config';
import { dataSourceOptions } from './database/data-source-options';
import { resolveDatabaseUrl, runMigrations } from './database/database-url';
import { CommandResult, verifyLedger, verifyProof } from './ledger/ledger-verify.command';
import { OrganisationService } from './organisation/organisation.service';
import { LoginTicketService } from './auth/login-ticket.service';
import { MAINLAND_MOBILE } from './common/graphql/text.validators';

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  migrate                         apply pending database migrations
  bootstrap --township-code CODE --township-name NAME --admin-name NAME --admin-mobile MOBILE
                                  create a township (head bank) and its first admin; safe to repeat
  admin-login-link --township CODE --mobile MOBILE
                                  print a one-time login link for a township admin (15 minutes, once):
                                  the first sign-in without WeChat, production included
  seed-demo                       潞城镇 with 54 villages, teams, managers, residents, themes, activities,
                                  a course and some history; safe to repeat
  verify-ledger [--township CODE] recompute every sealed month (one line each, with its seal), every content
                                  hash and balance; exits 1 naming the first month and entry that differ
  verify-proof --file PROOF.json [--seal HEX]
                                  check an entry's proof (from the entryProof query; - reads stdin) offline,
                                  and against the seal published on the notice board
`;

async function main(argv: string[]) {
  const [command, ...rest] = argv;
  // verify-proof checks a file offline: anyone may run it with no database and no configuration.
  if (command === 'verify-proof') return verifyProofCommand(rest);
  const config = loadConfig();
  switch (command) {
    case 'migrate': {
      const database = await resolveDatabaseUrl(config);
      const applied = await runMigrations(database.url, config.DATABASE_APP_ROLE);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
      if (config.DATABASE_APP_ROLE) console.log(`granted ${config.DATABASE_APP_ROLE} the app role's privileges`);
      await database.stop();
      return;
    }
    case 'bootstrap': {
      const { values } = parseArgs({
        args: rest,
        options: {
          'township-code': { type: 'string' },
          'township-name': { type: 'string' },
          'admin-name': { type: 'string' },
          'admin-mobile': { type: 'string' },
        },
      });
      const missing = ['township-code', 'township-name', 'admin-name', 'admin-mobile'].filter((k) => !values[k as keyof typeof values]);
      if (missing.length) throw new UsageError(`missing --${missing.join(', --')}`);
      if (!/^[a-z0-9-]{2,40}$/.test(values['township-code']!)) throw new UsageError('--township-code: 2-40 lowercase letters, digits or -');
      if (!MAINLAND_MOBILE.test(values['admin-mobile']!)) throw new UsageError('--admin-mobile: an 11-digit mainland mobile number');
      const database = await resolveDatabaseUrl(config);
      if (config.RUN_MIGRATIONS) await runMigrations(database.url, config.DATABASE_APP_ROLE);
      const app = await NestFactory.createApplicationContext(CliModule.forRoot(config, database.url), { logger: ['error', 'warn'] });
      try {
        const result = await app.get(OrganisationService).bootstrap({
          townshipCode: values['township-code']!,
          townshipName: values['township-name']!,
          adminName: values['admin-name']!,
          adminMobile: values['admin-mobile']!,
        });
        console.log(JSON.stringify(result));
      } finally {
        await app.close();
        await database.stop();
      }
      return;
    }
    case 'admin-login-link': {
      const { values } = parseArgs({ args: rest, options: { township: { type: 'string' }, mobile: { type: 'string' } } });
      if (!values.township || !values.mobile) throw new UsageError('missing --township or --mobile');
      const database = await resolveDatabaseUrl(config);
      const app = await NestFactory.createApplicationContext(CliModule.forRoot(config, database.url), { logger: ['error', 'warn'] });
      try {
        const { ticket, expiresAt, name } = await app.get(LoginTicketService).issue(values.township, values.mobile);
        const base = (config.PUBLIC_BASE_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, '');
        console.log(`One-time login link for ${name} (works once, until ${expiresAt.toISOString()}):`);
        console.log(`${base}/login?ticket=${ticket}`);
      } finally {
        await app.close();
        await database.stop();
      }
      return;
    }
    case 'seed-demo': {
      const database = await resolveDatabaseUrl(config);
      if (config.RUN_MIGRATIONS) await runMigrations(database.url, config.DATABASE_APP_ROLE);
      const app = await NestFactory.createApplicationContext(CliModule.forRoot(config, database.url), { logger: ['error', 'warn'] });
      try {
        const started = Date.now();
        const result = await seedDemo(app);
        const first = result.villages[0];
        console.log(
          [
            `潞城镇 demo ready in ${((Date.now() - started) / 1000).toFixed(1)} s (township ${result.townshipId}).`,
            `Log in with devLogin (DEV_LOGIN_ENABLED=true) as:`,
            `  township admin        ${result.adminMobile}`,
            `  manager of ${first.name}   ${first.managerMobile}   (village n: 1380010 + n as 4 digits)`,
            `  resident of ${first.name}  ${first.residentMobiles[0]}   (village n, resident r: 139 + n as 2 digits + r as 6 digits)`,
            `  shopkeeper of ${first.name} ${shopkeeperMobile(0)}   (villages 1-${DEMO_SHOP_VILLAGES} have a points shop: 1380020 + n as 4 digits)`,
          ].join('\n'),
        );
      } finally {
        await app.close();
        await database.stop();
      }
      return;
    }
    case 'verify-ledger': {
      const { values } = parseArgs({ args: rest, options: { township: { type: 'string' } } });
      const database = await resolveDatabaseUrl(config);
      const dataSource = new DataSource(dataSourceOptions(database.url, 2, 'civilization-bank-cli'));
      await dataSource.initialize();
      try {
        report(await verifyLedger(dataSource, values.township));
      } finally {
        await dataSource.destroy();
        await database.stop();
      }
      return;
    }
    default:
      throw new UsageError(command ? `unknown command: ${command}` : 'no command given');
  }
}

class UsageError extends Error {}

function verifyProofCommand(args: string[]): void {
  const { values } = parseArgs({ args, options: { file: { type: 'string' }, seal: { type: 'string' } } });
  if (!values.file) throw new UsageError('missing --file (a proof from the entryProof query, or - for stdin)');
  if (values.seal !== undefined && !/^[0-9a-fA-F]{64}$/.test(values.seal)) throw new UsageError('--seal: 64 hexadecimal characters');
  report(verifyProof(readFileSync(values.file === '-' ? 0 : values.file, 'utf8'), values.seal));
}

function report({ lines, ok }: CommandResult): void {
  for (const line of lines) console.log(line);
  if (!ok) process.exitCode = 1;
}

main(process.argv.slice(2)).catch((error) => {
  if (error instanceof UsageError) console.error(`${error.message}\n\n${USAGE}`);
  else if (error instanceof ConfigError) console.error(error.message);
  else console.error(error);
  process.exit(1);
});
