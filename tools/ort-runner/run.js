#!/usr/bin/env node
// Runs one ONNX model in ONNX Runtime (CPU) on tensors stored as .npy files. mlexport's C++ side
// talks to ONNX Runtime only through this program, because onnxruntime-node ships no C headers.
// The protocol is described in README.md.
'use strict';

const fs = require('fs');
const path = require('path');

// Exit codes: 1 = anything else, 2 = the model file cannot be read or loaded.
class RunnerError extends Error {
  constructor(message, code = 1) {
    super(message);
    this.exitCode = code;
  }
}

function fail(message, code = 1) {
  throw new RunnerError(message, code);
}

// ---- npy ----

// descr <-> ONNX Runtime tensor type and the typed array that holds its elements.
const DTYPES = [
  {descr: '<f4', type: 'float32', array: Float32Array},
  {descr: '<f2', type: 'float16', array: Uint16Array},  // raw IEEE half bits
  {descr: '<f8', type: 'float64', array: Float64Array},
  {descr: '<i8', type: 'int64', array: BigInt64Array},
  {descr: '<i4', type: 'int32', array: Int32Array},
  {descr: '<i2', type: 'int16', array: Int16Array},
  {descr: '|i1', type: 'int8', array: Int8Array},
  {descr: '|u1', type: 'uint8', array: Uint8Array},
  {descr: '|b1', type: 'bool', array: Uint8Array},
];

function dtypeByDescr(descr) {
  // One-byte types may be written with any byte-order mark.
  const d = DTYPES.find((x) => x.descr === descr ||
                                (x.array.BYTES_PER_ELEMENT === 1 && x.descr.slice(1) === descr.slice(1)) ||
                                (descr[0] === '=' && x.descr.slice(1) === descr.slice(1)));
  return d;
}

function readNpy(file) {
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    fail(`${file}: cannot read: ${e.message}`);
  }
  const bad = (why) => fail(`${file}: ${why}`);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') bad('not a .npy file');
  const major = buf[6];
  let headerLen;
  let offset;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    offset = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) bad('truncated header');
    headerLen = buf.readUInt32LE(8);
    offset = 12;
  } else {
    bad(`unsupported .npy version ${major}.${buf[7]}`);
  }
  if (offset + headerLen > buf.length) bad('truncated header');
  const header = buf.toString('latin1', offset, offset + headerLen);
  offset += headerLen;

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeText) bad('header does not parse');
  if (fortran[1] === 'True') bad('Fortran-order arrays are not supported');
  const dtype = dtypeByDescr(descr[1]);
  if (!dtype) bad(`unsupported dtype '${descr[1]}'`);
  const dims = shapeText[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (!dims.every((s) => /^\d+$/.test(s))) bad('shape does not parse');
  const shape = dims.map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count)) bad('shape is absurd');
  const nbytes = count * dtype.array.BYTES_PER_ELEMENT;
  if (buf.length - offset !== nbytes) {
    bad(`data section has ${buf.length - offset} bytes, the header needs ${nbytes}`);
  }
  // Copy into a fresh buffer: typed arrays need aligned offsets, Buffer slices may not be.
  const bytes = new Uint8Array(nbytes);
  bytes.set(buf.subarray(offset, offset + nbytes));
  return {dtype, shape, data: new dtype.array(bytes.buffer, 0, count)};
}

function npyBytes(descr, shape, data) {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Data starts on a 64-byte boundary, as numpy writes it.
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - 10 - 1, ' ') + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(dict.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([pre, Buffer.from(dict, 'latin1'), body]);
}

// ---- arguments ----

function parseArgs(argv) {
  const args = {threads: 0, info: false, version: false};
  const takesValue = {'--model': 'model', '--inputs': 'inputs', '--outputs': 'outputs',
                      '--threads': 'threads'};
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a === '--info') {
      args.info = true;
    } else if (a === '--version') {
      args.version = true;
    } else if (a === '--help' || a === '-h') {
      args.help = true;
    } else if (takesValue[a]) {
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      args[takesValue[a]] = argv[++i];
    } else {
      fail(`unknown argument '${a}' (see --help)`);
    }
  }
  if (typeof args.threads === 'string') {
    if (!/^\d+$/.test(args.threads)) fail(`--threads must be a non-negative integer, got '${args.threads}'`);
    args.threads = Number(args.threads);
  }
  return args;
}

const USAGE = 'usage: node run.js --model M.onnx --inputs DIR --outputs DIR [--threads N]\n' +
              '       node run.js --model M.onnx --info\n' +
              '       node run.js --version';

// ---- ONNX Runtime ----

function loadOrt() {
  try {
    return require('onnxruntime-node');
  } catch (e) {
    fail(`cannot load onnxruntime-node: ${e.message}`);
  }
}

function runtimeName(ort) {
  let version = ort.env && ort.env.versions && ort.env.versions.node;
  if (!version) {
    try {
      version = require(require.resolve('onnxruntime-node/package.json')).version;
    } catch (e) {
      version = 'unknown';
    }
  }
  return `onnxruntime-node ${version}`;
}

async function createSession(ort, model, threads) {
  try {
    fs.accessSync(model, fs.constants.R_OK);
    if (!fs.statSync(model).isFile()) fail(`${model}: not a regular file`, 2);
  } catch (e) {
    if (e instanceof RunnerError) throw e;
    fail(`${model}: cannot read model file: ${e.message}`, 2);
  }
  const options = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,  // errors only: warnings would bury the one-line error protocol
  };
  if (threads > 0) options.intraOpNumThreads = threads;
  try {
    return await ort.InferenceSession.create(model, options);
  } catch (e) {
    fail(`${model}: cannot load model: ${e.message}`, 2);
  }
}

function metadataOf(list) {
  if (!Array.isArray(list)) return undefined;
  return list.map((m) => (m.isTensor ? {name: m.name, type: m.type, shape: m.shape}
                                     : {name: m.name, type: 'non-tensor'}));
}

function readInputs(dir, session) {
  let files;
  try {
    files = fs.readdirSync(dir).filter((f) => /^\d+\.npy$/.test(f));
  } catch (e) {
    fail(`${dir}: cannot read inputs directory: ${e.message}`);
  }
  const names = session.inputNames;
  if (files.length !== names.length) {
    fail(`the model has ${names.length} input(s) (${names.join(', ')}) but ${dir} holds ` +
         `${files.length} .npy file(s)`);
  }
  const meta = session.inputMetadata;
  const feeds = {};
  names.forEach((name, i) => {
    const file = path.join(dir, `${i}.npy`);
    if (!fs.existsSync(file)) fail(`missing input file ${file} for input '${name}'`);
    const t = readNpy(file);
    const m = Array.isArray(meta) ? meta[i] : undefined;
    if (m && m.isTensor && m.type && m.type !== t.dtype.type) {
      fail(`input ${i} '${name}' expects ${m.type}, got ${t.dtype.type} from ${file}`);
    }
    feeds[name] = new ort.Tensor(t.dtype.type, t.data, t.shape);
  });
  return feeds;
}

function writeOutputs(dir, session, results) {
  fs.mkdirSync(dir, {recursive: true});
  session.outputNames.forEach((name, i) => {
    const t = results[name];
    if (!t || typeof t.type !== 'string' || !t.dims) fail(`output ${i} '${name}' is not a tensor`);
    const dtype = DTYPES.find((d) => d.type === t.type);
    if (!dtype) fail(`output ${i} '${name}' has unsupported type ${t.type}`);
    fs.writeFileSync(path.join(dir, `${i}.npy`), npyBytes(dtype.descr, t.dims, t.data));
  });
}

let ort;

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  ort = loadOrt();
  ort.env.logLevel = 'error';
  if (args.version) {
    process.stdout.write(runtimeName(ort) + '\n');
    return;
  }
  if (!args.model) fail('--model is required');
  if (!args.info && (!args.inputs || !args.outputs)) fail('--inputs and --outputs are required');

  let t0 = process.hrtime.bigint();
  const session = await createSession(ort, args.model, args.threads);
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const report = {
    runtime: runtimeName(ort),
    input_names: session.inputNames,
    output_names: session.outputNames,
  };
  if (args.info) {
    const inputs = metadataOf(session.inputMetadata);
    const outputs = metadataOf(session.outputMetadata);
    if (inputs) report.inputs = inputs;
    if (outputs) report.outputs = outputs;
    report.load_ms = loadMs;
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return;
  }

  const feeds = readInputs(args.inputs, session);
  let results;
  t0 = process.hrtime.bigint();
  try {
    results = await session.run(feeds);
  } catch (e) {
    fail(`run failed: ${e.message}`);
  }
  report.run_ms = Number(process.hrtime.bigint() - t0) / 1e6;
  report.load_ms = loadMs;
  writeOutputs(args.outputs, session, results);
  // Written last: its presence means every output file is complete.
  fs.writeFileSync(path.join(args.outputs, 'outputs.json'), JSON.stringify(report, null, 2) + '\n');
}

main().catch((e) => {
  const message = String(e && e.message !== undefined ? e.message : e).replace(/\s*\n\s*/g, ' ');
  process.stderr.write(`error: ${message}\n`);
  process.exitCode = e instanceof RunnerError ? e.exitCode : 1;
});
