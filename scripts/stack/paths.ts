// Where the local stack keeps its installs, data, logs and pid files: all under one ignored folder.
import path from 'node:path';
import { PROJECT_ROOT, type Config } from '../../lib/config';

export interface StackPaths {
  root: string;
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
  const venvDir = path.join(root, 'venv');
  const here = path.join(PROJECT_ROOT, 'scripts', 'stack');
  return {
    root,
    logDir: path.join(root, 'logs'),
    runDir: path.join(root, 'run'),
    venvDir,
    requirementsFile: path.join(here, 'requirements.txt'),
    temporalBin: path.join(venvDir, 'bin', 'temporal'),
    temporalDb: path.join(root, 'temporal', 'temporal.db'),
    kafkaDir: path.join(root, 'kafka'),
    kafkaLibDir: path.join(root, 'kafka', 'libs'),
    kafkaDataDir: path.join(root, 'kafka', 'data'),
    kafkaPom: path.join(here, 'maven', 'kafka-pom.xml'),
    sparkDir: path.join(root, 'spark'),
    sparkJarDir: path.join(root, 'spark', 'jars'),
    sparkKafkaPom: path.join(here, 'maven', 'spark-kafka-pom.xml'),
    descriptorScript: path.join(PROJECT_ROOT, 'scripts', 'gen-spark-connect-descriptors.py'),
    descriptorSet: config.spark.descriptorSetPath,
  };
}
