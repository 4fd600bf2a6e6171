#!/usr/bin/env node
// End-to-end tests of mlexport-server: node service_test.js CASE (contract, bad_input, formats,
// load, fault). Each case makes its own workspace under $SERVICE_WORK, starts the server on a
// free loopback port, talks to it over HTTP only, and stops it.
'use strict';

const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const {spawn, execFileSync} = require('child_process');

const BUILD = process.env.MLEXPORT_BUILD;
const SOURCE = process.env.MLEXPORT_SOURCE;
const WORK = process.env.SERVICE_WORK;
const WRAPPER = path.join(__dirname, 'cli_wrapper.sh');
const FINAL = new Set(['completed', 'failed', 'cancelled']);

// ---- workspace and server ----

// The small demo workspace every case copies, made once per build tree. ctest makes it first
// (service.template, a fixture); a case run alone makes it itself. Each maker writes its own
// partial copy, so two makers never write into one directory, and the first rename wins.
function makeTemplate() {
  const template = path.join(WORK, 'template');
  if (fs.existsSync(path.join(template, 'projects'))) return template;
  fs.mkdirSync(WORK, {recursive: true});
  const partial = `${template}.partial.${process.pid}`;
  fs.rmSync(partial, {recursive: true, force: true});
  execFileSync('bash', [path.join(SOURCE, 'apps/mlexport-server/make_demo_workspace.sh'), BUILD,
                        partial, '--small'], {stdio: 'inherit'});
  try {
    fs.renameSync(partial, template);
  } catch (e) {
    if (!fs.existsSync(path.join(template, 'projects'))) throw e;
    fs.rmSync(partial, {recursive: true, force: true});
  }
  return template;
}

// A fresh copy of the small demo workspace.
function makeWorkspace(name) {
  const template = makeTemplate();
  const dir = path.join(WORK, name);
  fs.rmSync(dir, {recursive: true, force: true});
  fs.cpSync(template, dir, {recursive: true});
  return dir;
}

async function startServer(workspace, {args = [], env = {}} = {}) {
  const proc = spawn(path.join(BUILD, 'mlexport-server'),
                     ['--workspace', workspace, '--port', '0', ...args],
                     {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']});
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const base = await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve(m[1]);
    });
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
  return {proc, base, stderr: () => stderr};
}

async function stopServer(server, signal = 'SIGTERM') {
  if (server.proc.exitCode !== null || server.proc.signalCode !== null) return;
  const exited = new Promise((resolve) => server.proc.on('exit', resolve));
  server.proc.kill(signal);
  await exited;
}

// ---- HTTP ----

function client(base, token) {
  return async function api(method, route, {body, raw, headers = {}} = {}) {
    const h = {...headers};
    if (token) h.Authorization = `Bearer ${token}`;
    let payload;
    if (raw !== undefined) {
      payload = raw;
      h['Content-Type'] = 'application/json';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      h['Content-Type'] = 'application/json';
    }
    const res = await fetch(base + route, {method, headers: h, body: payload});
    const buffer = Buffer.from(await res.arrayBuffer());
    let json = null;
    if ((res.headers.get('content-type') || '').includes('application/json'))
      json = JSON.parse(buffer.toString('utf8'));
    return {status: res.status, headers: res.headers, json, buffer};
  };
}

// A request whose path is sent exactly as written (no dot-segment normalization).
function rawRequest(base, method, route, body) {
  const http = require('http');
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({host: url.hostname, port: url.port, method, path: route,
                              headers: {'Content-Type': 'application/json'}}, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const buffer = Buffer.concat(chunks);
        let json = null;
        try { json = JSON.parse(buffer.toString()); } catch (e) { /* not JSON */ }
        resolve({status: res.statusCode, headers: res.headers, json, buffer});
      });
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

function assertError(r, status, field) {
  assert.strictEqual(r.status, status, `expected ${status}, got ${r.status}: ${r.buffer}`);
  assert.ok(r.json && r.json.error, `error body expected: ${r.buffer}`);
  assert.strictEqual(typeof r.json.error.code, 'string');
  assert.strictEqual(typeof r.json.error.message, 'string');
  assert.ok('field' in r.json.error);
  if (field !== undefined) assert.strictEqual(r.json.error.field, field, JSON.stringify(r.json));
}

async function waitFinal(api, id, seconds = 300) {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const r = await api('GET', `/api/export/${id}`);
    assert.strictEqual(r.status, 200, String(r.buffer));
    if (FINAL.has(r.json.status)) return r.json;
    if (Date.now() > end) throw new Error(`export ${id} still ${r.json.status}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function waitStatus(api, id, wanted, seconds = 120) {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const r = await api('GET', `/api/export/${id}`);
    if (wanted.includes(r.json.status)) return r.json;
    if (Date.now() > end) throw new Error(`export ${id} never reached ${wanted}: ${r.json.status}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function submit(api, pid, body, expected = 202) {
  const r = await api('POST', `/api/projects/${pid}/exports`, {body});
  assert.strictEqual(r.status, expected, String(r.buffer));
  return r;
}

// The SSE stream of an export until the server ends it: [{id, event, data}].
async function readEvents(base, id, token) {
  const headers = token ? {Authorization: `Bearer ${token}`} : {};
  const res = await fetch(`${base}/api/export/${id}/events`, {headers});
  assert.strictEqual(res.status, 200);
  assert.ok(res.headers.get('content-type').startsWith('text/event-stream'));
  const text = await res.text();
  const events = [];
  for (const block of text.split('\n\n')) {
    const e = {};
    for (const line of block.split('\n')) {
      const m = line.match(/^(id|event|data): (.*)$/);
      if (m) e[m[1]] = m[1] === 'data' ? JSON.parse(m[2]) : m[2];
    }
    if (e.event) events.push(e);
  }
  return events;
}

const sha256 = (buffer) => crypto.createHash('sha256').update(buffer).digest('hex');

// ---- zip (central directory only; enough to list and read the members) ----

function readZip(buffer) {
  let eocd = buffer.length - 22;
  while (eocd >= 0 && buffer.readUInt32LE(eocd) !== 0x06054b50) --eocd;
  assert.ok(eocd >= 0, 'not a zip: no end of central directory');
  const count = buffer.readUInt16LE(eocd + 10);
  let offset = buffer.readUInt32LE(eocd + 16);
  const members = {};
  for (let k = 0; k < count; ++k) {
    assert.strictEqual(buffer.readUInt32LE(offset), 0x02014b50, 'bad central directory entry');
    const method = buffer.readUInt16LE(offset + 10);
    const compressed = buffer.readUInt32LE(offset + 20);
    const nameLength = buffer.readUInt16LE(offset + 28);
    const extraLength = buffer.readUInt16LE(offset + 30);
    const commentLength = buffer.readUInt16LE(offset + 32);
    const local = buffer.readUInt32LE(offset + 42);
    const name = buffer.toString('utf8', offset + 46, offset + 46 + nameLength);
    const dataStart = local + 30 + buffer.readUInt16LE(local + 26) + buffer.readUInt16LE(local + 28);
    const data = buffer.subarray(dataStart, dataStart + compressed);
    members[name] = method === 0 ? data : zlib.inflateRawSync(data);
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return members;
}

// ---- checks of downloaded files ----

async function runOnnx(file, shape) {
  const ort = require(path.join(process.env.ORT_MODULES, 'onnxruntime-node'));
  const session = await ort.InferenceSession.create(file);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({length: size}, (_, k) => Math.sin(k));
  const outputs = await session.run({[session.inputNames[0]]: new ort.Tensor('float32', data, shape)});
  const out = outputs[session.outputNames[0]];
  assert.ok(out.data.length > 0 && Array.from(out.data).every(Number.isFinite),
            'ONNX Runtime output is empty or not finite');
  return out;
}

// Downloads in three Range requests and checks the pieces against the ETag and a full download.
async function downloadResumed(api, id, query = '') {
  const full = await api('GET', `/api/export/${id}/download${query}`);
  assert.strictEqual(full.status, 200, String(full.buffer));
  const etag = full.headers.get('etag').replace(/"/g, '');
  assert.strictEqual(Number(full.headers.get('content-length')), full.buffer.length);
  assert.match(full.headers.get('content-disposition'), /^attachment; filename="export-/);
  assert.strictEqual(sha256(full.buffer), etag, 'ETag is not the SHA-256 of the body');
  const size = full.buffer.length;
  const cut1 = Math.floor(size / 3), cut2 = Math.floor((2 * size) / 3);
  const part1 = await api('GET', `/api/export/${id}/download${query}`, {headers: {Range: `bytes=0-${cut1 - 1}`}});
  assert.strictEqual(part1.status, 206);
  assert.strictEqual(part1.headers.get('content-range'), `bytes 0-${cut1 - 1}/${size}`);
  const part2 = await api('GET', `/api/export/${id}/download${query}`,
                          {headers: {Range: `bytes=${cut1}-${cut2 - 1}`, 'If-Range': `"${etag}"`}});
  assert.strictEqual(part2.status, 206);
  const part3 = await api('GET', `/api/export/${id}/download${query}`, {headers: {Range: `bytes=${cut2}-`}});
  assert.strictEqual(part3.status, 206);
  const joined = Buffer.concat([part1.buffer, part2.buffer, part3.buffer]);
  assert.strictEqual(sha256(joined), etag, 'a resumed download differs from the file');
  const beyond = await api('GET', `/api/export/${id}/download${query}`, {headers: {Range: `bytes=${size + 10}-`}});
  assert.strictEqual(beyond.status, 416);
  return {buffer: full.buffer, etag};
}

const DESIGN_FIELDS = ['id', 'experiment_id', 'checkpoint', 'format', 'options', 'created_at',
                       'status', 'output_file', 'output_size_mb', 'validation'];
const EXTRA_FIELDS = ['timings', 'error', 'log', 'output_sha256', 'checkpoint_sha256',
                      'mlexport_version', 'files', 'download'];

function checkCompletedRecord(record) {
  for (const k of DESIGN_FIELDS.concat(EXTRA_FIELDS)) assert.ok(k in record, `record lacks ${k}`);
  for (const k of ['opset_version', 'input_shape', 'dynamic_axes', 'simplify'])
    assert.ok(k in record.options, `options lack ${k}`);
  assert.strictEqual(record.status, 'completed', JSON.stringify(record.error));
  assert.strictEqual(record.validation.passed, true, JSON.stringify(record.validation));
  assert.strictEqual(typeof record.validation.max_diff, 'number');
  assert.ok(record.validation.report && record.validation.report.ran);
  assert.match(record.output_sha256, /^[0-9a-f]{64}$/);
  assert.match(record.checkpoint_sha256, /^[0-9a-f]{64}$/);
  assert.ok(record.output_size_mb > 0);
  assert.ok(record.log.length > 0);
  assert.ok(record.timings.run_seconds > 0);
  assert.ok(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(record.created_at));
}

// Every file under dir, with sizes: what "nothing is written" compares.
function snapshot(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, {withFileTypes: true})) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(`${path.relative(dir, p)} ${fs.lstatSync(p).size}`);
    }
  };
  walk(dir);
  return out.sort().join('\n');
}

// ---- cases ----

const cases = {};

cases.contract = async () => {
  const ws = makeWorkspace('contract');
  // An experiment whose model crashes the exporter (see cli_wrapper.sh).
  const crashDir = path.join(ws, 'projects/defect-inspection/experiments/exp-crash');
  fs.cpSync(path.join(ws, 'projects/defect-inspection/experiments/exp-tiny-net'), crashDir, {recursive: true});
  const token = 'test-token-123';
  const server = await startServer(ws, {
    args: ['--workers', '1', '--token', token, '--cli', WRAPPER],
    env: {REAL_CLI: path.join(BUILD, 'ml-export')}});
  try {
    const api = client(server.base, token);
    const anonymous = client(server.base);
    const wrong = client(server.base, 'nope');
    assertError(await anonymous('GET', '/api/projects'), 401);
    assertError(await wrong('GET', '/api/export/formats'), 401);
    assertError(await api('GET', '/api/no-such-route'), 404);

    const openapi = (await api('GET', '/api/openapi.json')).json;
    assert.strictEqual(openapi.openapi.slice(0, 2), '3.');

    const formats = (await api('GET', '/api/export/formats')).json.formats;
    const onnx = formats.find((f) => f.name === 'onnx');
    assert.ok(onnx.available && onnx.display_name === 'ONNX' && onnx.extensions.includes('.onnx'));
    assert.ok(onnx.options.some((o) => o.name === 'opset_version' && o.maximum === 17));
    const unavailable = formats.filter((f) => !f.available);
    assert.ok(unavailable.length > 0 && unavailable.every((f) => f.unavailable_reason.length > 0));

    const projects = (await api('GET', '/api/projects')).json.projects;
    assert.deepStrictEqual(projects.map((p) => p.id), ['defect-inspection', 'quality-score']);
    const experiments = (await api('GET', '/api/projects/defect-inspection/experiments')).json.experiments;
    const tiny = experiments.find((e) => e.id === 'exp-tiny-net');
    assert.deepStrictEqual(tiny.checkpoints.map((c) => c.name), ['best', 'last']);
    assert.strictEqual(tiny.architecture, 'tiny_net');

    // An export, its events, its record.
    const request = {experiment_id: 'exp-tiny-net', checkpoint: 'best', format: 'onnx',
                     options: {opset_version: 17, input_shape: [1, 3, 64, 64], dynamic_axes: true,
                               task: 'classification'}};
    const queued = await submit(api, 'defect-inspection', request);
    assert.strictEqual(queued.json.status, 'queued');
    assert.strictEqual(queued.headers.get('location'), `/api/export/${queued.json.id}`);
    const events = await readEvents(server.base, queued.json.id, token);
    const stages = events.filter((e) => e.event === 'stage').map((e) => e.data.stage);
    assert.deepStrictEqual(stages, ['queued', 'loading', 'converting', 'validating', 'completed']);
    assert.ok(events.some((e) => e.event === 'log'));
    const record = (await api('GET', `/api/export/${queued.json.id}`)).json;
    checkCompletedRecord(record);
    assert.deepStrictEqual(record.options.dynamic_axes,
                           {input: {0: 'batch_size'}, output: {0: 'batch_size'}});
    assert.strictEqual(record.output_file, 'model.onnx');
    assert.strictEqual(record.options.task, 'classification');
    assert.strictEqual(record.options.segmentation_output, 'logits');
    // The task given is the one the file's metadata carries.
    const onnxBytes = fs.readFileSync(
        path.join(ws, 'projects/defect-inspection/exports', record.id, 'model.onnx'));
    assert.ok(onnxBytes.includes(Buffer.from('classification')), 'the ONNX metadata names the task');
    // The record on disk is the one served.
    const onDisk = JSON.parse(fs.readFileSync(
        path.join(ws, 'projects/defect-inspection/exports', record.id, 'export.json')));
    assert.deepStrictEqual(onDisk, record);

    // The same request again: the completed export; with force, a new one.
    const again = await submit(api, 'defect-inspection', request, 200);
    assert.strictEqual(again.json.id, record.id);
    assert.strictEqual(again.json.deduplicated, true);
    const forced = await submit(api, 'defect-inspection', {...request, force: true});
    assert.notStrictEqual(forced.json.id, record.id);
    const other = await submit(api, 'defect-inspection', {...request, checkpoint: 'last'});
    await waitFinal(api, forced.json.id);
    await waitFinal(api, other.json.id);

    // Task "auto" takes the project's task: quality-score is a regression project, and its
    // checkpoint alone (a one-output simple_cnn) would pass for a classifier.
    const regression = await submit(api, 'quality-score',
                                    {experiment_id: 'exp-simple-cnn-reg', checkpoint: 'best', format: 'onnx'});
    assert.strictEqual(regression.json.options.task, 'regression');
    const regressionRecord = await waitFinal(api, regression.json.id);
    assert.strictEqual(regressionRecord.status, 'completed', JSON.stringify(regressionRecord.error));
    const regressionBytes = fs.readFileSync(
        path.join(ws, 'projects/quality-score/exports', regressionRecord.id, 'model.onnx'));
    assert.ok(regressionBytes.includes(Buffer.from('regression')), 'the ONNX metadata names the task');

    // Download with Range and the bundle.
    const {buffer} = await downloadResumed(api, record.id);
    assert.strictEqual(sha256(buffer), record.output_sha256);
    const etagHit = await api('GET', `/api/export/${record.id}/download`,
                              {headers: {'If-None-Match': `"${record.output_sha256}"`}});
    assert.strictEqual(etagHit.status, 304);
    const bundle = readZip((await downloadResumed(api, record.id, '?bundle=1')).buffer);
    assert.deepStrictEqual(Object.keys(bundle).sort(), ['README.md', 'export.json', 'model.onnx']);
    assert.strictEqual(JSON.parse(bundle['export.json']).id, record.id);
    assert.strictEqual(sha256(bundle['model.onnx']), record.output_sha256);
    assertError(await api('GET', `/api/export/${record.id}/download?bundle=2`), 400, 'bundle');

    // The list: newest first, filters, paging.
    const list = (await api('GET', '/api/projects/defect-inspection/exports')).json;
    assert.strictEqual(list.total, 3);
    const times = list.exports.map((e) => e.created_at);
    assert.deepStrictEqual(times, [...times].sort().reverse());
    const lastOnly = (await api('GET', '/api/projects/defect-inspection/exports?status=completed&format=onnx&experiment_id=exp-tiny-net&limit=1&offset=1')).json;
    assert.strictEqual(lastOnly.total, 3);
    assert.strictEqual(lastOnly.exports.length, 1);
    assert.strictEqual(lastOnly.exports[0].id, list.exports[1].id);
    assert.strictEqual((await api('GET', '/api/projects/defect-inspection/exports?format=openvino')).json.total, 0);
    assertError(await api('GET', '/api/projects/defect-inspection/exports?limit=0'), 400, 'limit');

    // Cancel: a finished export (409), a queued one, a running one.
    assertError(await api('POST', `/api/export/${record.id}/cancel`), 409);
    const slow = {experiment_id: 'exp-simple-cnn', format: 'onnx', force: true};
    const running = await submit(api, 'defect-inspection', slow);
    const waiting = await submit(api, 'defect-inspection', slow);
    await waitStatus(api, running.json.id, ['loading', 'converting', 'validating', 'completed']);
    const cancelledQueued = await api('POST', `/api/export/${waiting.json.id}/cancel`);
    assert.strictEqual(cancelledQueued.status, 200);
    assert.strictEqual(cancelledQueued.json.status, 'cancelled');
    const cancelRunning = await api('POST', `/api/export/${running.json.id}/cancel`);
    // The export may have finished between the two requests; then cancel says 409.
    if (cancelRunning.status === 200) assert.strictEqual(cancelRunning.json.status, 'cancelled');
    else assertError(cancelRunning, 409);

    // A model that crashes the exporter fails its export; the server goes on.
    const crashed = await submit(api, 'defect-inspection', {experiment_id: 'exp-crash', format: 'onnx'});
    const crashRecord = await waitFinal(api, crashed.json.id);
    assert.strictEqual(crashRecord.status, 'failed');
    assert.strictEqual(crashRecord.error.code, 'crashed');
    assert.strictEqual(crashRecord.error.exit_code, 128 + 11);
    assert.deepStrictEqual(fs.readdirSync(path.join(ws, 'projects/defect-inspection/exports', crashed.json.id)),
                           ['export.json']);
    assert.strictEqual((await api('GET', '/api/projects')).status, 200);
    assertError(await api('GET', `/api/export/${crashed.json.id}/download`), 409);

    // Delete: files and index entry.
    assert.strictEqual((await api('DELETE', `/api/export/${forced.json.id}`)).status, 200);
    assertError(await api('GET', `/api/export/${forced.json.id}`), 404);
    assertError(await api('DELETE', `/api/export/${forced.json.id}`), 404);
    assert.ok(!fs.existsSync(path.join(ws, 'projects/defect-inspection/exports', forced.json.id)));
    const index = JSON.parse(fs.readFileSync(path.join(ws, 'projects/defect-inspection/exports/exports_index.json')));
    assert.ok(!index.exports.some((e) => e.id === forced.json.id));

    // Every documented route answers with a documented status (valid ids).
    const ids = {pid: 'defect-inspection', id: record.id};
    const seen = [];
    const operations = [];
    for (const [route, methods] of Object.entries(openapi.paths))
      for (const [method, op] of Object.entries(methods)) operations.push([route, method, op]);
    // DELETE last, so the other routes see the export.
    operations.sort((a, b) => (a[1] === 'delete') - (b[1] === 'delete'));
    {
      for (const [route, method, op] of operations) {
        const url = route.replace(/\{(\w+)\}/g, (_, k) => ids[k]);
        const body = method === 'post' && route.endsWith('/exports') ? request : undefined;
        const r = await api(method.toUpperCase(), url, {body});
        assert.ok(String(r.status) in op.responses,
                  `${method} ${route} answered ${r.status}, not documented (${Object.keys(op.responses)})`);
        assertError(await anonymous(method.toUpperCase(), url), 401);
        seen.push(`${method} ${route}`);
      }
    }
    for (const route of ['get /api/export/formats', 'get /api/projects', 'get /api/projects/{pid}/experiments',
                         'post /api/projects/{pid}/exports', 'get /api/projects/{pid}/exports',
                         'get /api/export/{id}', 'get /api/export/{id}/events', 'get /api/export/{id}/download',
                         'post /api/export/{id}/cancel', 'delete /api/export/{id}', 'get /api/openapi.json'])
      assert.ok(seen.includes(route), `${route} is not documented`);
  } finally {
    await stopServer(server);
  }
};

cases.bad_input = async () => {
  const ws = makeWorkspace('bad_input');
  const exp = path.join(ws, 'projects/defect-inspection/experiments');
  // A missing checkpoint, a checkpoint that is not one, and a symlink out of the workspace.
  fs.cpSync(path.join(exp, 'exp-tiny-net'), path.join(exp, 'exp-no-last'), {recursive: true});
  fs.rmSync(path.join(exp, 'exp-no-last/checkpoints/last.ckpt'));
  fs.cpSync(path.join(exp, 'exp-tiny-net'), path.join(exp, 'exp-garbage'), {recursive: true});
  fs.writeFileSync(path.join(exp, 'exp-garbage/checkpoints/best.ckpt'), 'this is not a checkpoint\n');
  const outside = path.join(WORK, 'bad_input_outside');
  fs.rmSync(outside, {recursive: true, force: true});
  fs.cpSync(path.join(exp, 'exp-tiny-net'), outside, {recursive: true});
  fs.symlinkSync(outside, path.join(exp, 'exp-outside'));
  fs.cpSync(path.join(exp, 'exp-tiny-net'), path.join(exp, 'exp-link-ckpt'), {recursive: true});
  fs.rmSync(path.join(exp, 'exp-link-ckpt/checkpoints/best.ckpt'));
  fs.symlinkSync(path.join(outside, 'checkpoints/best.ckpt'), path.join(exp, 'exp-link-ckpt/checkpoints/best.ckpt'));

  const server = await startServer(ws, {args: ['--workers', '1']});
  try {
    const api = client(server.base);
    const before = snapshot(ws);
    const post = (pid, body) => api('POST', `/api/projects/${pid}/exports`, {body});
    const good = {experiment_id: 'exp-tiny-net', checkpoint: 'best', format: 'onnx'};

    assertError(await api('POST', '/api/projects/defect-inspection/exports', {raw: '{"experiment_id": '}), 400);
    assert.strictEqual((await api('POST', '/api/projects/defect-inspection/exports', {raw: '{"experiment_id": '})).json.error.code, 'malformed_json');
    assertError(await api('POST', '/api/projects/defect-inspection/exports', {raw: '[1, 2]'}), 400);
    assertError(await post('no-such-project', good), 404, 'project_id');
    assertError(await post('defect-inspection', {...good, experiment_id: 'exp-nope'}), 404, 'experiment_id');
    assertError(await post('defect-inspection', {...good, experiment_id: 42}), 400, 'experiment_id');
    assertError(await post('defect-inspection', {checkpoint: 'best'}), 400, 'experiment_id');
    // Traversal, encoded or not, and absolute paths.
    assertError(await post('defect-inspection', {...good, experiment_id: '../quality-score'}), 400, 'experiment_id');
    assertError(await post('defect-inspection', {...good, experiment_id: '/etc'}), 400, 'experiment_id');
    assert.ok([400, 404].includes((await post('..', good)).status));
    // fetch() normalizes dot segments; node's http sends the path as it is.
    const raw = await rawRequest(server.base, 'POST', '/api/projects/%2e%2e/exports', JSON.stringify(good));
    assertError(raw, 400, 'project_id');
    assertError(await rawRequest(server.base, 'GET', '/api/projects/../experiments'), 400, 'project_id');
    assertError(await rawRequest(server.base, 'GET', '/api/export/..'), 400, 'export_id');
    for (const route of ['/api/projects/..%2f..%2fetc/experiments', '/api/export/..%2f..%2fetc%2fpasswd',
                         '/api/export/../../etc/passwd/download', '/api/export/%2fetc%2fpasswd'])
      assert.ok([400, 404].includes((await api('GET', route)).status), route);
    assert.ok([400, 404].includes((await api('GET', '/api/export/export-..%2f..%2f')).status));
    assertError(await api('GET', '/api/export/export-..'), 400, 'export_id');
    assertError(await api('GET', '/api/export/export-000000000000'), 404, 'export_id');
    // Symlinks out of the workspace.
    assert.ok([403, 404].includes((await post('defect-inspection', {...good, experiment_id: 'exp-outside'})).status));
    assertError(await post('defect-inspection', {...good, experiment_id: 'exp-link-ckpt'}), 403);
    // Checkpoints.
    assertError(await post('defect-inspection', {...good, experiment_id: 'exp-no-last', checkpoint: 'last'}), 404, 'checkpoint');
    assertError(await post('defect-inspection', {...good, experiment_id: 'exp-garbage'}), 400, 'checkpoint');
    assertError(await post('defect-inspection', {...good, checkpoint: 'middle'}), 400, 'checkpoint');
    // Options.
    assertError(await post('defect-inspection', {...good, format: 'keras'}), 400, 'format');
    const trt = await post('defect-inspection', {...good, format: 'tensorrt'});
    assertError(trt, 400, 'format');
    assert.strictEqual(trt.json.error.code, 'format_unavailable');
    assertError(await post('defect-inspection', {...good, options: {opset_version: 99}}), 400, 'options.opset_version');
    assertError(await post('defect-inspection', {...good, options: {opset_version: 10}}), 400, 'options.opset_version');
    assertError(await post('defect-inspection', {...good, options: {opset_version: '17'}}), 400, 'options.opset_version');
    assertError(await post('defect-inspection', {...good, options: {input_shape: [1, 3, -64, 64]}}), 400, 'options.input_shape');
    assertError(await post('defect-inspection', {...good, options: {input_shape: 'big'}}), 400, 'options.input_shape');
    assertError(await post('defect-inspection', {...good, options: {input_shape: [8192, 8192, 8192]}}), 400, 'options.input_shape');
    assertError(await post('defect-inspection', {...good, options: {dynamic_axes: {input: {2: 'height'}}}}), 400, 'options.dynamic_axes');
    assertError(await post('defect-inspection', {...good, options: {simplify: 'yes'}}), 400, 'options.simplify');
    assertError(await post('defect-inspection', {...good, options: {colour: 'red'}}), 400, 'options.colour');
    assertError(await post('defect-inspection', {...good, options: {compress_to_fp16: true}}), 400, 'options.compress_to_fp16');
    assertError(await post('defect-inspection', {...good, options: {task: 'poetry'}}), 400, 'options.task');
    assertError(await post('defect-inspection', {...good, options: {segmentation_output: 'argmin'}}), 400, 'options.segmentation_output');
    assertError(await post('defect-inspection', {...good, options: []}), 400, 'options');
    assertError(await post('defect-inspection', {...good, force: 'yes'}), 400, 'force');
    assertError(await post('defect-inspection', {...good, priority: 1}), 400, 'priority');
    // A body over the limit.
    const huge = JSON.stringify({...good, padding: 'x'.repeat(200 * 1024)});
    assertError(await api('POST', '/api/projects/defect-inspection/exports', {raw: huge}), 413);
    // Query parameters.
    assertError(await api('GET', '/api/projects/defect-inspection/exports?limit=abc'), 400, 'limit');
    assertError(await api('GET', '/api/projects/defect-inspection/exports?offset=-1'), 400, 'offset');
    assertError(await api('GET', '/api/projects/defect-inspection/exports?sort=name'), 400, 'sort');

    assert.strictEqual(snapshot(ws), before, 'a refused request wrote something');
  } finally {
    await stopServer(server);
  }
};

cases.formats = async () => {
  const ws = makeWorkspace('formats');
  const server = await startServer(ws, {args: ['--workers', '2']});
  try {
    const api = client(server.base);
    const formats = (await api('GET', '/api/export/formats')).json.formats.filter((f) => f.available);
    assert.ok(formats.length >= 4, 'expected onnx, openvino, torchscript and torch');
    const jobs = [];
    for (const f of formats) {
      const options = {input_shape: [1, 3, 64, 64]};
      if (f.options.some((o) => o.name === 'dynamic_axes')) options.dynamic_axes = true;
      jobs.push({format: f, r: await submit(api, 'defect-inspection', {experiment_id: 'exp-simple-cnn', format: f.name, options})});
    }
    // ONNX with its weights in a side file: a multi-file export served as one zip.
    jobs.push({format: {name: 'onnx-external'}, r: await submit(api, 'defect-inspection',
      {experiment_id: 'exp-tiny-net', format: 'onnx', options: {external_data: true}})});
    for (const {format, r} of jobs) {
      const record = await waitFinal(api, r.json.id);
      checkCompletedRecord(record);
      const {buffer} = await downloadResumed(api, record.id);
      const file = path.join(WORK, `formats-${record.id}-${record.download.file}`);
      fs.writeFileSync(file, buffer);
      if (format.name === 'onnx') {
        const out = await runOnnx(file, [2, 3, 64, 64]);  // dynamic batch
        assert.deepStrictEqual(out.dims, [2, 3]);
      } else if (format.name === 'onnx-external' || format.name === 'openvino') {
        const members = readZip(buffer);
        assert.ok(Object.keys(members).length >= 2, `${format.name}: one file in the zip`);
        for (const f of record.files) assert.strictEqual(sha256(members[f.name]), f.sha256);
        if (format.name === 'openvino') {
          assert.ok(members['model.xml'].toString().includes('<net'));
          assert.ok(members['model.bin'].length > 0);
        } else {
          const dir = path.join(WORK, `formats-${record.id}`);
          fs.mkdirSync(dir, {recursive: true});
          for (const [name, data] of Object.entries(members)) fs.writeFileSync(path.join(dir, name), data);
          await runOnnx(path.join(dir, 'model.onnx'), [1, 3, 64, 64]);
        }
      } else {
        // TorchScript archives and torch.save files are zips with a data.pkl.
        const members = readZip(buffer);
        assert.ok(Object.keys(members).some((n) => n.endsWith('data.pkl')), `${format.name}: no data.pkl`);
      }
      const bundle = readZip((await api('GET', `/api/export/${record.id}/download?bundle=1`)).buffer);
      assert.ok('README.md' in bundle && 'export.json' in bundle);
      for (const f of record.files) assert.strictEqual(sha256(bundle[f.name]), f.sha256);
      console.log(`${record.format}: ${record.files.map((f) => f.name).join(' + ')}, ` +
                  `validation ${record.validation.status} max_diff ${record.validation.max_diff}`);
    }
  } finally {
    await stopServer(server);
  }
};

cases.load = async () => {
  const ws = makeWorkspace('load');
  const server = await startServer(ws, {args: ['--workers', '2']});
  try {
    const api = client(server.base);
    const requests = Array.from({length: 50}, (_, k) => submit(api, 'defect-inspection', {
      experiment_id: 'exp-tiny-net', checkpoint: k % 2 ? 'last' : 'best', format: 'onnx', force: true,
      options: {input_shape: [1, 3, 32, 32]}}));
    const ids = (await Promise.all(requests)).map((r) => r.json.id);
    assert.strictEqual(new Set(ids).size, 50);
    for (const id of ids) assert.strictEqual((await waitFinal(api, id, 900)).status, 'completed');
    const index = JSON.parse(fs.readFileSync(path.join(ws, 'projects/defect-inspection/exports/exports_index.json')));
    const indexed = index.exports.map((e) => e.id);
    assert.strictEqual(indexed.length, 50);
    assert.deepStrictEqual([...indexed].sort(), [...ids].sort());
    assert.ok(index.exports.every((e) => e.status === 'completed'));
    const listed = (await api('GET', '/api/projects/defect-inspection/exports?limit=1000')).json;
    assert.strictEqual(listed.total, 50);
  } finally {
    await stopServer(server);
  }
};

cases.fault = async () => {
  const ws = makeWorkspace('fault');
  const exportsDir = path.join(ws, 'projects/defect-inspection/exports');
  const real = path.join(BUILD, 'ml-export');
  // First run: one completed export.
  let server = await startServer(ws, {args: ['--workers', '1']});
  let api = client(server.base);
  const done = await submit(api, 'defect-inspection', {experiment_id: 'exp-tiny-net', format: 'onnx'});
  const completed = await waitFinal(api, done.json.id);
  checkCompletedRecord(completed);
  const {etag} = await downloadResumed(api, completed.id);
  await stopServer(server);

  // Second run: exports that take long (the wrapper sleeps), killed while one runs.
  server = await startServer(ws, {args: ['--workers', '1', '--cli', WRAPPER],
                                  env: {REAL_CLI: real, WRAP_DELAY: '60'}});
  api = client(server.base);
  const submitted = [];
  for (const checkpoint of ['best', 'last', 'best'])
    submitted.push((await submit(api, 'defect-inspection',
      {experiment_id: 'exp-simple-cnn', checkpoint, format: 'onnx', force: true})).json.id);
  await waitStatus(api, submitted[0], ['loading']);
  await stopServer(server, 'SIGKILL');

  // Every record still parses; the index is damaged on purpose and must be rebuilt.
  for (const id of [completed.id, ...submitted])
    JSON.parse(fs.readFileSync(path.join(exportsDir, id, 'export.json')));
  fs.writeFileSync(path.join(exportsDir, 'exports_index.json'), '{"exports": [tru');

  // Third run: the restart rule.
  server = await startServer(ws, {args: ['--workers', '1']});
  api = client(server.base);
  try {
    const interrupted = (await api('GET', `/api/export/${submitted[0]}`)).json;
    assert.strictEqual(interrupted.status, 'failed');
    assert.strictEqual(interrupted.error.code, 'interrupted');
    assert.deepStrictEqual(fs.readdirSync(path.join(exportsDir, submitted[0])), ['export.json']);
    for (const id of submitted.slice(1)) checkCompletedRecord(await waitFinal(api, id));
    const again = await downloadResumed(api, completed.id);
    assert.strictEqual(again.etag, etag, 'a completed export changed across the crash');
    const index = JSON.parse(fs.readFileSync(path.join(exportsDir, 'exports_index.json')));
    assert.deepStrictEqual(index.exports.map((e) => e.id).sort(), [completed.id, ...submitted].sort());
    // The events of an export finished before the restart come from its record.
    const events = await readEvents(server.base, completed.id);
    assert.strictEqual(events[events.length - 1].data.stage, 'completed');
    // A missing index is rebuilt on the next read too.
    fs.rmSync(path.join(exportsDir, 'exports_index.json'));
    assert.strictEqual((await api('GET', '/api/projects/defect-inspection/exports')).json.total, 4);
    assert.ok(fs.existsSync(path.join(exportsDir, 'exports_index.json')));
  } finally {
    await stopServer(server);
  }
};

// The Export page's files are served at / (without the API token), and its script parses.
// A real-browser test of the page is not part of this suite yet.
cases.page = async () => {
  const ws = makeWorkspace('page');
  execFileSync(process.execPath, ['--check', path.join(SOURCE, 'web/app.js')]);
  const server = await startServer(ws, {args: ['--workers', '1', '--token', 'page-token']});
  try {
    const page = await fetch(`${server.base}/`);
    assert.strictEqual(page.status, 200);
    assert.match(page.headers.get('content-type'), /text\/html/);
    const html = await page.text();
    assert.ok(html.includes('<script src="app.js">') && html.includes('id="formats"'));
    for (const file of ['app.js', 'style.css']) {
      const r = await fetch(`${server.base}/${file}`);
      assert.strictEqual(r.status, 200, file);
      assert.strictEqual(await r.text(), fs.readFileSync(path.join(SOURCE, 'web', file), 'utf8'));
    }
    assertError(await client(server.base)('GET', '/api/projects'), 401);
  } finally {
    await stopServer(server);
  }
};

cases.template = async () => { makeTemplate(); };

const name = process.argv[2];
if (!cases[name]) {
  console.error(`usage: service_test.js ${Object.keys(cases).join('|')}`);
  process.exit(2);
}
cases[name]().then(() => console.log(`service.${name}: ok`), (e) => {
  console.error(e);
  process.exit(1);
});
