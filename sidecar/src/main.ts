import { ConfigError, loadConfig } from './config';
import { StartupError, startSidecar } from './app';
import { EmbeddedRedisError } from './queues/embedded-redis';
import { SecretsConfigError } from './secrets/errors';

async function main() {
  const config = loadConfig();
  const sidecar = await startSidecar(config, {
    // Stop what still runs, then exit non-zero so the supervisor starts a fresh sidecar.
    onFatal: () => void sidecar.stop().finally(() => process.exit(1)),
  });
  if (sidecar.tokenGenerated) {
    // Printed once, on first start only; afterwards it is read from DATA_DIR/sidecar-token.
    process.stdout.write(
      `\nGenerated SIDECAR_TOKEN (stored in ${config.DATA_DIR}/sidecar-token; shown only this once):\n${sidecar.token}\n` +
        'Paste it into Integration Settings → Sidecar Token.\n\n',
    );
  }
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) process.exit(1);
    sidecar.ctx.log.info({ signal }, 'shutting down');
    sidecar.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof SecretsConfigError || err instanceof EmbeddedRedisError || err instanceof StartupError) {
    process.stderr.write(`integrations-sidecar: ${err.message}\n`);
  } else {
    process.stderr.write(`integrations-sidecar: failed to start: ${(err as Error).stack ?? String(err)}\n`);
  }
  process.exit(1);
});
