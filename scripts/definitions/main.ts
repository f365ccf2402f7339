// npm run definitions -- [list | check [name]]: the pipeline definitions as the worker reads them (list), and
// Spark's analysis of their SQL against their record schemas (check: needs Spark Connect, `npm run stack -- up`).
// Exits 1 when a definition is broken or does not pass.
import { loadConfig } from '../../lib/config';
import { loadDefinitions } from '../../lib/definitions';
import { SparkConnectClient } from '../../lib/spark-connect/client';
import { checkDefinition, sparkAnalysis } from '../../spark/jobs/definition-check';

async function main(): Promise<number> {
  const [command = 'list', name] = process.argv.slice(2);
  if (command !== 'list' && command !== 'check') {
    console.error(`unknown command "${command}": use list, or check [name]`);
    return 2;
  }
  const config = loadConfig();
  const catalog = loadDefinitions(config.definitionsDir);
  const definitions = [...catalog.definitions.values()].filter((d) => name === undefined || d.name === name);
  const broken = catalog.broken.filter((b) => name === undefined || b.name === name || b.directory === name);
  if (definitions.length === 0 && broken.length === 0) {
    console.error(`no definition ${name ? `"${name}" ` : ''}in ${config.definitionsDir}`);
    return 1;
  }
  for (const b of broken) console.log(`✗ ${b.name ?? b.directory}: ${b.error}`);
  let failed = broken.length > 0;
  if (command === 'list') {
    for (const d of definitions)
      console.log(
        `✓ ${d.name}@${d.version}: jobs ${Object.keys(d.jobs).join(', ')}${Object.keys(d.streams).length ? `; stream jobs ${Object.keys(d.streams).join(', ')}` : ''}; fields ${d.fields.map(([f]) => f).join(', ')}`,
      );
    return failed ? 1 : 0;
  }
  const spark = new SparkConnectClient({ url: config.spark.connectUrl, descriptorSetPath: config.spark.descriptorSetPath, keepAliveMs: 0 });
  try {
    for (const d of definitions) {
      const { problems } = await checkDefinition(d, sparkAnalysis(spark));
      if (problems.length === 0) console.log(`✓ ${d.name}@${d.version}: every section analysed by Spark`);
      for (const problem of problems) console.log(`✗ ${problem}`);
      failed ||= problems.length > 0;
    }
  } finally {
    spark.close();
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
