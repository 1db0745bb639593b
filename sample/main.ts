import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { startTracing } from './tracing.js';

async function bootstrap() {
  startTracing();
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  Logger.log(`Sample app listening on ${url}`, 'Sample');
  Logger.log(`Try: curl -X POST ${url}/acquire   |   curl -X POST -H 'content-type: application/json' -d '{"text":"hello"}' ${url}/work   |   curl ${url}/processes`, 'Sample');
}

void bootstrap();
