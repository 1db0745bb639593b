import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { startTelemetry } from './telemetry.js';

async function bootstrap() {
  // First, so that the HTTP instrumentation patches `http` before Express and Nest load it: the app's
  // modules are imported only after the SDK has started.
  const telemetry = startTelemetry();
  const { NestFactory } = await import('@nestjs/core');
  const { AppModule } = await import('./app.module.js');
  const app = await NestFactory.create(AppModule);
  // On Ctrl-C or SIGTERM: the app shuts down (processes terminate), then buffered spans and metrics are flushed.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void app.close().then(() => telemetry.stop()).finally(() => process.exit(0)));
  }
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  Logger.log(`Sample app listening on ${url}`, 'Sample');
  Logger.log(`Try: curl -X POST ${url}/acquire   |   curl -X POST -H 'content-type: application/json' -d '{"text":"hello"}' ${url}/work   |   curl ${url}/processes`, 'Sample');
  Logger.log(`Dashboard: ${url}/genserver (the supervision tree, live)`, 'Sample');
  Logger.log(`Try the agent: curl -H 'content-type: application/json' -d '{"input":"Am I within my rate limit?"}' ${url}/agents/support/tasks   |   curl -N '${url}/agents/support/tasks/t1/events?input=remember%20color%3Dblue'`, 'Sample');
}

void bootstrap();
