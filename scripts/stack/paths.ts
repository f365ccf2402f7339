// Where the local stack keeps its installs, data, logs and pid files: all under one ignored folder. A second stack
// (the chaos run's, on other ports) shares the installs and keeps its own state (STACK_STATE_DIR).
import path from 'node:path';
import { PROJECT_ROOT, type Config } from '../../lib/config';

export interface StackPaths {
  /** Installs: the venv, the jars, the protocol descriptors. */
  root: string;
  /** State: data, logs, pid files, generated configuration. */
  state: string;
  logDir: string;
  runDir: string;
  venvDir: string;
  requirementsFile: string;
  temporalBin: string;
  temporalDb: string;
  kafkaDir: string;
  kafkaLibDir: string;
  kafkaDataDir: string;
  kafkaPom: string;
  sparkDir: string;
  sparkJarDir: string;
  sparkKafkaPom: string;
  descriptorScript: string;
  descriptorSet: string;
}

export function stackPaths(config: Config): StackPaths {
  const root = config.stackDir;
  const state = config.stackStateDir;
  const venvDir = path.join(root, 'venv');
  const here = path.join(PROJECT_ROOT, 'scripts', 'stack');
  return {
    root,
    state,
    logDir: path.join(state, 'logs'),
    runDir: path.join(state, 'run'),
    venvDir,
    requirementsFile: path.join(here, 'requirements.txt'),
    temporalBin: path.join(venvDir, 'bin', 'temporal'),
    temporalDb: path.join(state, 'temporal', 'temporal.db'),
    kafkaDir: path.join(state, 'kafka'),
    kafkaLibDir: path.join(root, 'kafka', 'libs'),
    kafkaDataDir: path.join(state, 'kafka', 'data'),
    kafkaPom: path.join(here, 'maven', 'kafka-pom.xml'),
    sparkDir: path.join(state, 'spark'),
    sparkJarDir: path.join(root, 'spark', 'jars'),
    sparkKafkaPom: path.join(here, 'maven', 'spark-kafka-pom.xml'),
    descriptorScript: path.join(PROJECT_ROOT, 'scripts', 'stack', 'gen-spark-connect-descriptors.py'),
    descriptorSet: config.spark.descriptorSetPath,
  };
}
