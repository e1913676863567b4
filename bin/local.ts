/** `npm start`: the local runtime on http://localhost:3000 (PORT overrides), Ctrl-C stops it all. */
import { MotoMissing } from './moto.ts';
import { startLocal } from './local-runtime.ts';
import { startLocalWeb } from './local-web.ts';

const port = Number(process.env.PORT ?? 3000);
try {
  const runtime = await startLocal({ port, host: process.env.HOST ?? '127.0.0.1' });
  console.log(`DMP API listening on ${runtime.url}  (AWS emulator: ${runtime.endpoint}, table ${runtime.config.tableName})`);
  console.log(`  API reference: ${runtime.url}/docs   OpenAPI: ${runtime.url}/openapi.json`);
  console.log(`  Local tokens:  POST ${runtime.url}/_local/tokens   SMS: GET ${runtime.url}/_local/sms?to=+33...`);
  // The example page (examples/web) on its own origin, the one the runtime's CORS admits (WEB_PORT=0: not served).
  const webPort = Number(process.env.WEB_PORT ?? new URL(runtime.config.allowedOrigin).port);
  const web =
    webPort > 0
      ? await startLocalWeb({ port: webPort, host: process.env.HOST ?? '127.0.0.1', apiUrl: () => runtime.url }).catch((error: unknown) => {
          console.warn(`  Example page not served on port ${webPort}: ${(error as Error).message}`);
          return undefined;
        })
      : undefined;
  if (web) console.log(`  Example page:  ${web.url}  (seed a patient: npx tsx examples/web/seed.ts ${runtime.url})`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('Stopping…');
    await web?.stop();
    await runtime.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  if (error instanceof MotoMissing) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
