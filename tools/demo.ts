/**
 * `npm run demo`: audits the sample account that ships with the repository, with no AWS account or network.
 * A fake IAM serves the account over IAM's real wire protocol on 127.0.0.1; the real engine and the real SDK
 * clients audit it through the CLI. Extra arguments go to the CLI (`npm run demo -- --json`).
 */
import { main } from '../lambdas/audit/cli';
import { buildSampleAccount } from './fake-iam/sample-account';
import { startFakeIamServer } from './fake-iam/server';

/** Credentials the SDK signs the fake's requests with; the fake does not check them. */
const DEMO_CREDENTIALS = { accessKeyId: 'AKIADEMODEMODEMODEMO', secretAccessKey: 'demo-not-a-secret' };

// The demo runs on whatever Node the laptop has; the SDK's notice about future Node versions is not its news.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

async function demo(argv: string[]): Promise<number> {
  const now = new Date();
  const server = await startFakeIamServer(buildSampleAccount(now), { now: () => now });
  try {
    const { code } = await main(['--now', now.toISOString(), ...argv], {
      env: process.env,
      write: (text) => process.stdout.write(text),
      endpoint: server.url,
      credentials: DEMO_CREDENTIALS,
      pollIntervalMs: 100,
    });
    return code;
  } finally {
    await server.close();
  }
}

demo(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    console.error(`demo failed: ${error.name}: ${error.message}`);
    process.exitCode = 1;
  },
);
