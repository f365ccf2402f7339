// What `npm start` printed about its phases (scripts/start/main.ts's lines), for `npm run bench:cold`.

/** `npm start`'s phases, read from the lines it prints. */
export interface StartPhases {
  stackSeconds: number | null;
  sparkWarmSeconds: number | null;
  mainJobMs: number | null;
  /** From spawning `npm start` to its REST trigger listening. */
  untilRestSeconds: number;
}

export function parseStartOutput(text: string, untilRestSeconds: number): StartPhases {
  const num = (re: RegExp) => {
    const m = re.exec(text);
    return m ? Number(m[1]!.replaceAll(',', '')) : null;
  };
  return {
    stackSeconds: num(/Stack ready in ([\d.]+)s/),
    sparkWarmSeconds: num(/spark\s+started in [\d.]+s, of which warming up ([\d.]+)s/),
    mainJobMs: num(/through Kafka and Spark in ([\d,]+) ms/),
    untilRestSeconds,
  };
}
