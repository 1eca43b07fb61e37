#!/usr/bin/env node
// onnxruntime-node (CPU) as the peer of build/depthmask-onnx, with the same
// command line and output, for the parity test and the benchmarks:
//   node tools/ort/run.mjs run MODEL.onnx --in NAME=FILE.npy ... --out NAME=FILE.npy ...
//        [--repeat N] [--threads N]
// With --repeat N > 1 one warm-up run comes first and is not counted. Prints
// "run K: X.XXX ms" per timed run and "median: X.XXX ms"; writes the outputs
// of the last run. Exit 0 ok, 1 failure, 2 bad usage.
import * as ort from 'onnxruntime-node';
import { readNpy, writeNpy } from './npy.mjs';

const USAGE =
  'usage: node tools/ort/run.mjs run MODEL.onnx --in NAME=FILE.npy ... --out NAME=FILE.npy ...\n' +
  '                                [--repeat N] [--threads N]';

class UsageError extends Error {}

function parsePair(flag, s) {
  const eq = s === undefined ? -1 : s.indexOf('=');
  if (eq <= 0 || eq === s.length - 1) throw new UsageError(`${flag} wants NAME=FILE.npy, got "${s ?? ''}"`);
  return [s.slice(0, eq), s.slice(eq + 1)];
}

function parseCount(flag, s, min) {
  if (s === undefined || !/^\d+$/.test(s) || Number(s) < min) throw new UsageError(`${flag} wants an integer >= ${min}, got "${s ?? ''}"`);
  return Number(s);
}

function parseArgs(argv) {
  if (argv[0] !== 'run' || argv.length < 2 || argv[1].startsWith('-')) throw new UsageError('expected: run MODEL.onnx ...');
  const a = { model: argv[1], inputs: [], outputs: [], repeat: 1, threads: 0 };
  for (let i = 2; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--in') a.inputs.push(parsePair(flag, argv[++i]));
    else if (flag === '--out') a.outputs.push(parsePair(flag, argv[++i]));
    else if (flag === '--repeat') a.repeat = parseCount(flag, argv[++i], 1);
    else if (flag === '--threads') a.threads = parseCount(flag, argv[++i], 0);
    else throw new UsageError(`unknown argument "${flag}"`);
  }
  return a;
}

function median(xs) {
  const s = [...xs].sort((p, q) => p - q);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

async function main(argv) {
  const a = parseArgs(argv);
  const options = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    interOpNumThreads: 1,
    executionMode: 'sequential',
    logSeverityLevel: 3, // errors only: FastDepth (IR 3) makes ORT warn per unused initializer
  };
  if (a.threads > 0) options.intraOpNumThreads = a.threads;
  const session = await ort.InferenceSession.create(a.model, options);

  const feeds = {};
  for (const [name, file] of a.inputs) {
    if (!session.inputNames.includes(name)) throw new Error(`${a.model}: no input "${name}" (inputs: ${session.inputNames.join(', ')})`);
    const t = readNpy(file);
    feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
  }
  const missing = session.inputNames.filter((n) => !(n in feeds));
  if (missing.length) throw new UsageError(`missing --in for ${missing.join(', ')}`);
  for (const [name] of a.outputs)
    if (!session.outputNames.includes(name)) throw new Error(`${a.model}: no output "${name}" (outputs: ${session.outputNames.join(', ')})`);
  const fetches = a.outputs.length ? a.outputs.map(([name]) => name) : session.outputNames;

  if (a.repeat > 1) await session.run(feeds, fetches);
  const times = [];
  let result;
  for (let k = 1; k <= a.repeat; k++) {
    const t0 = process.hrtime.bigint();
    result = await session.run(feeds, fetches);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    times.push(ms);
    console.log(`run ${k}: ${ms.toFixed(3)} ms`);
  }
  console.log(`median: ${median(times).toFixed(3)} ms`);

  for (const [name, file] of a.outputs) {
    const t = result[name];
    writeNpy(file, t.type, t.dims.map(Number), t.data);
  }
  await session.release();
}

main(process.argv.slice(2)).catch((e) => {
  const usage = e instanceof UsageError;
  console.error(`run.mjs: ${e.message}`);
  if (usage) console.error(USAGE);
  process.exit(usage ? 2 : 1);
});
