#!/usr/bin/env node
// Median ONNX Runtime latency of one model on random float inputs: node ort_latency.js M.onnx
// BATCH RUNS [int64]. Prints JSON {"median_ms": ..., "runs": ...}. Same session options for every
// file. With int64 as the fourth argument, inputs are int64 token ids (0..99) instead.
'use strict';
const path = require('path');
const ort = require(path.join(__dirname, '..', 'tools', 'ort-runner', 'node_modules', 'onnxruntime-node'));

async function main() {
  const [model, batchText, runsText] = process.argv.slice(2);
  const batch = Number(batchText || 1), runs = Number(runsText || 20);
  const session = await ort.InferenceSession.create(model, {
    graphOptimizationLevel: 'all', intraOpNumThreads: 2, executionProviders: ['cpu']});
  const feeds = {};
  for (const name of session.inputNames) {
    const meta = session.inputMetadata ? session.inputMetadata.find((m) => m.name === name) : null;
    let dims = meta && meta.shape ? meta.shape.map((d) => (typeof d === 'number' ? d : batch)) : [batch, 3, 224, 224];
    dims[0] = batch;
    const n = dims.reduce((a, b) => a * b, 1);
    if (process.argv[5] === 'int64') {
      const ids = new BigInt64Array(n);
      for (let i = 0; i < n; ++i) ids[i] = BigInt((i * 37) % 100);
      feeds[name] = new ort.Tensor('int64', ids, dims);
      continue;
    }
    const data = new Float32Array(n);
    for (let i = 0; i < n; ++i) data[i] = Math.sin(i) * 0.5;
    feeds[name] = new ort.Tensor('float32', data, dims);
  }
  for (let i = 0; i < 3; ++i) await session.run(feeds);
  const times = [];
  for (let i = 0; i < runs; ++i) {
    const t = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({median_ms: times[Math.floor(times.length / 2)], runs}));
}
main().catch((e) => { console.error('error: ' + e.message); process.exit(1); });
