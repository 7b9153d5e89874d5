import { INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import {
  Bus,
  BusExceptionFilter,
  BusServer,
  BusSigner,
  BusTransport,
  describeError,
  DirectInboundQueue,
  InProcessTransport,
  JetStreamInboundQueue,
  NatsTransport,
  natsSecurityOptions,
} from '@patchbay/bus';
import { configuredDefaultAgent } from '@patchbay/agents';
import { ConfigError, LoadedConfig, PatchbayConfig } from '@patchbay/config';
import { assertHttpExposure, bodyReaders } from '@patchbay/gateway';
import { PatchbayMetrics, processName } from '@patchbay/metrics';
import { EmbeddedDatabase } from '@patchbay/persistence';
import { RedactingLogger, Redactor } from '@patchbay/security';
import { AppModule } from './app.module';
import { Role } from './roles';

export interface RunningPatchbay {
  /** Base URL of the HTTP API when the gateway runs here. */
  url: string | null;
  /** Graceful stop: stop intake, finish writes, close the bus and the database. */
  stop(): Promise<void>;
}

const logger = new Logger('Patchbay');

/** Starts the given roles in this process; all three make the all-in-one Patchbay. */
export async function startServer(roles: readonly Role[], { config, file }: LoadedConfig): Promise<RunningPatchbay> {
  const allInOne = roles.length === 3;
  if (!allInOne && !config.bus.natsUrl) {
    throw new ConfigError(`patchbay start ${roles.join(' ')}: separate processes talk over NATS; set NATS_URL (bus.natsUrl)`);
  }
  // Every log line of every role, from the first, without the config's secrets.
  const redactingLogger = new RedactingLogger(Redactor.fromConfig(config), config.log);
  Logger.overrideLogger(redactingLogger);
  // Fails fast on an agents: entry that is incomplete, a defaultAgent that names no agent
  // (else every message would fail later), or an open API without a token, before anything connects.
  configuredDefaultAgent(config);
  if (roles.includes('gateway')) assertHttpExposure(config);
  logger.log(`starting ${allInOne ? 'all-in-one' : roles.join(', ')} (config: ${file ?? 'defaults'}, home: ${config.home})`);

  const signer = busSigner(roles, config);
  const transport: BusTransport = config.bus.natsUrl
    ? await NatsTransport.connect(config.bus.natsUrl, `patchbay-${roles.join('+')}`, onHandlerError, natsSecurityOptions(config.bus.nats))
    : new InProcessTransport(onHandlerError);
  const metrics = new PatchbayMetrics(allInOne ? 'all-in-one' : processName(roles));
  const bus = new Bus(transport, {
    prefix: config.bus.prefix,
    requestTimeoutMs: config.bus.requestTimeoutMs,
    signer,
    // In one process, what arrives was checked when it was sent.
    checkIncoming: transport.kind !== 'memory',
    observeRequest: (subject, outcome, seconds) => metrics.busRequestDuration.observe({ subject, outcome }, seconds),
  });
  const inbound = transport instanceof NatsTransport ? new JetStreamInboundQueue(transport, bus, config.bus.inbound) : new DirectInboundQueue(bus);
  logger.log(`bus: ${transport.kind === 'nats' ? `NATS at ${redactUrl(config.bus.natsUrl!)}` : 'in-process'} (prefix ${config.bus.prefix})`);

  let embedded: EmbeddedDatabase | null = null;
  let app: INestApplicationContext | null = null;
  const stop = async () => {
    await app?.close();
    await bus.close();
    await embedded?.stop();
  };
  try {
    let databaseUrl = config.database.url;
    let databaseLabel = databaseUrl ? redactUrl(databaseUrl) : undefined;
    if (roles.includes('engine') && !databaseUrl) {
      embedded = await EmbeddedDatabase.start(config.home, config.database.embeddedPort);
      databaseUrl = embedded.url;
      databaseLabel = embedded.label;
    }
    const module = AppModule.forRoot({ roles, config, bus, inbound, metrics, databaseUrl, databaseLabel });
    const strategy = new BusServer(bus);
    let url: string | null = null;
    if (roles.includes('gateway')) {
      // Our own body readers: webhook bodies stay bytes until their signature is checked, and
      // a client's bad body is one WARN line, not an ERROR with a stack.
      const http = await NestFactory.create(module, { forceCloseConnections: true, bufferLogs: false, bodyParser: false, logger: redactingLogger });
      app = http;
      for (const [route, reader] of bodyReaders()) http.use(route, reader);
      http.connectMicroservice({ strategy }, { inheritAppConfig: true });
      await http.startAllMicroservices();
      await http.listen(config.http.port, config.http.host);
      const address = http.getHttpServer().address();
      const port = typeof address === 'object' && address ? address.port : config.http.port;
      url = `http://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${port}`;
      logger.log(`HTTP on ${url}`);
    } else {
      const micro = await NestFactory.createMicroservice(module, { strategy, logger: redactingLogger });
      // The gateway's filter does this in a process with HTTP.
      micro.useGlobalFilters(new BusExceptionFilter());
      app = micro;
      await micro.listen();
    }
    return { url, stop };
  } catch (error) {
    await stop().catch((e) => logger.error(`cleanup after failed start: ${(e as Error).message}`));
    throw error;
  }
}

/**
 * Who signs (docs/ARCHITECTURE.md, "Trust model"): on NATS the gateway and the engine, with
 * `bus.secret`. One process needs no secret on the in-process bus, and makes up its own on
 * NATS. A runner never holds it: the agents it starts run as its user.
 */
function busSigner(roles: readonly Role[], config: PatchbayConfig): BusSigner | undefined {
  if (!config.bus.natsUrl) return undefined;
  if (!roles.includes('gateway') && !roles.includes('engine')) {
    if (config.bus.secret) logger.warn('bus.secret is set for a runner, which does not use it: give it to the gateway and the engine only');
    return undefined;
  }
  if (config.bus.secret) return new BusSigner(config.bus.secret);
  if (roles.length === 3) return new BusSigner(randomBytes(32).toString('hex'));
  throw new ConfigError(
    `patchbay start ${roles.join(' ')}: on NATS the gateway and the engine sign what they send each other; set PATCHBAY_BUS_SECRET (bus.secret), the same for both, at least 32 characters (openssl rand -hex 32)`,
  );
}

/**
 * An event handler failed. Through Nest's filters that is a reply already logged with its
 * error id; anything else is described (and logged) once here.
 */
function onHandlerError(subject: string, error: unknown): void {
  const reply = describeError(error, subject);
  if (!reply.errorId) logger.error(`handler for ${subject} failed: ${reply.code}: ${reply.message}`);
}

/** Connection URLs may carry credentials; logs get the host only. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
