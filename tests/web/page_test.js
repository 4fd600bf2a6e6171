#!/usr/bin/env node
// The Export page in Debian's chromium (puppeteer-core): starts mlexport-server on a fresh copy of
// the small demo workspace, goes through the studio design's export flow as a user would, and
// saves a screenshot of each state into $WEB_WORK/screenshots. Any console error fails the test.
'use strict';

const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const {spawn, execFileSync} = require('child_process');
const puppeteer = require('puppeteer-core');

const BUILD = process.env.MLEXPORT_BUILD;
const SOURCE = process.env.MLEXPORT_SOURCE;
const WORK = process.env.WEB_WORK;
const CHROMIUM = '/usr/bin/chromium';
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function makeWorkspace() {
  const template = path.join(WORK, 'template');
  if (!fs.existsSync(path.join(template, 'projects'))) {
    fs.rmSync(template + '.partial', {recursive: true, force: true});
    execFileSync('bash', [path.join(SOURCE, 'apps/mlexport-server/make_demo_workspace.sh'), BUILD,
                          template + '.partial', '--small'], {stdio: 'inherit'});
    fs.renameSync(template + '.partial', template);
  }
  const ws = path.join(WORK, 'workspace');
  fs.rmSync(ws, {recursive: true, force: true});
  fs.cpSync(template, ws, {recursive: true});
  // An experiment whose export takes a minute (tests/service/cli_wrapper.sh), to cancel.
  const exp = path.join(ws, 'projects/defect-inspection/experiments');
  fs.cpSync(path.join(exp, 'exp-tiny-net'), path.join(exp, 'exp-slow'), {recursive: true});
  return ws;
}

async function startServer(ws) {
  const proc = spawn(path.join(BUILD, 'mlexport-server'),
                     ['--workspace', ws, '--port', '0', '--workers', '2', '--cli',
                      path.join(SOURCE, 'tests/service/cli_wrapper.sh')],
                     {env: {...process.env, REAL_CLI: path.join(BUILD, 'ml-export')}, stdio: ['ignore', 'pipe', 'inherit']});
  const base = await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve(m[1]);
    });
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {proc, base};
}

async function main() {
  if (!fs.existsSync(CHROMIUM)) {
    console.log('skipped: /usr/bin/chromium is not installed (scripts/setup.sh installs it)');
    process.exit(77);
  }
  fs.mkdirSync(WORK, {recursive: true});
  const shots = path.join(WORK, 'screenshots');
  const downloads = path.join(WORK, 'downloads');
  fs.rmSync(downloads, {recursive: true, force: true});
  fs.mkdirSync(shots, {recursive: true});
  fs.mkdirSync(downloads, {recursive: true});
  const ws = makeWorkspace();
  const server = await startServer(ws);
  const api = async (route, init) => {
    const r = await fetch(server.base + route, init);
    return {status: r.status, json: await r.json()};
  };
  const browser = await puppeteer.launch({executablePath: CHROMIUM, headless: true,
                                          args: ['--no-sandbox', '--disable-gpu']});
  const problems = [];
  try {
    const page = await browser.newPage();
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', {behavior: 'allow', downloadPath: downloads});
    await page.setViewport({width: 1280, height: 800});
    await page.goto(server.base + '/', {waitUntil: 'networkidle0'});
    await page.waitForSelector('#formats .card');
    await page.waitForSelector('#experiments tbody tr');
    await page.screenshot({path: path.join(shots, '1-start.png'), fullPage: true});

    // Unavailable formats: shown, "Coming Soon", disabled, not selectable.
    for (const name of ['tensorrt', 'torch_export_ir']) {
      const card = await page.$(`#formats .card[data-format="${name}"]`);
      assert.ok(card, `${name} card missing`);
      const info = await card.evaluate((c) => ({disabled: c.disabled, text: c.textContent}));
      assert.ok(info.disabled && info.text.includes('Coming Soon'), `${name}: ${JSON.stringify(info)}`);
      await card.click().catch(() => {});
      assert.strictEqual(await card.evaluate((c) => c.getAttribute('aria-checked')), 'false');
    }

    // Project, experiment, checkpoint, ONNX with dynamic batch.
    await page.select('#project', 'defect-inspection');
    // The first project's list may still be loading: wait until every list has arrived, so the
    // rows clicked are the ones that stay.
    await page.waitForNetworkIdle({idleTime: 300});
    await page.waitForSelector('#experiments input[value="exp-tiny-net"]');
    await page.click('#experiments input[value="exp-tiny-net"]');
    await page.click('input[name=checkpoint][value="best"]');
    await page.click('#formats .card[data-format="onnx"]');
    await page.click('#dynamic');

    // A bad opset: the field's error, nothing queued.
    await page.click('#opset', {clickCount: 3});
    await page.type('#opset', '99');
    await page.click('#export');
    await page.waitForFunction(() => document.querySelector('#error-opset_version').textContent.length > 0);
    await page.screenshot({path: path.join(shots, '2-bad-opset.png'), fullPage: true});
    assert.strictEqual((await api('/api/projects/defect-inspection/exports')).json.total, 0);
    await page.click('#opset', {clickCount: 3});
    await page.type('#opset', '17');

    // Export, live stages, PASS.
    await page.click('#export');
    await page.waitForFunction(() => document.querySelector('#stages li.active, #stages li.done') !== null);
    await page.screenshot({path: path.join(shots, '3-progress.png'), fullPage: true});
    await page.waitForFunction(() => ['PASS', 'WARN', 'FAIL', 'FAILED'].includes(document.querySelector('#badge').textContent),
                               {timeout: 300000});
    assert.strictEqual(await page.$eval('#badge', (b) => b.textContent), 'PASS');
    await page.screenshot({path: path.join(shots, '4-onnx-pass.png'), fullPage: true});
    const href = await page.$eval('#download', (a) => a.getAttribute('href'));
    const id = href.match(/export-[0-9a-f]{12}/)[0];
    const record = (await api(`/api/export/${id}`)).json;
    assert.deepStrictEqual(record.options.dynamic_axes, {input: {0: 'batch_size'}, output: {0: 'batch_size'}});
    const shown = await page.$$eval('#metrics tbody tr', (rows) => rows.map((r) => ({
      name: r.dataset.output, maxDiff: r.querySelector('.max-diff').textContent,
      mse: r.querySelector('.mse').textContent, cosine: r.querySelector('.cosine').textContent})));
    assert.strictEqual(shown.length, record.validation.report.outputs.length);
    for (const [k, o] of record.validation.report.outputs.entries()) {
      assert.strictEqual(shown[k].name, o.name);
      assert.strictEqual(shown[k].maxDiff, o.max_diff.toExponential(2));
      assert.strictEqual(shown[k].mse, o.mse.toExponential(2));
      assert.strictEqual(shown[k].cosine, o.cosine_similarity.toFixed(6));
    }

    // Download by clicking: the file's SHA-256 is the record's, and it runs in ONNX Runtime.
    await page.click('#download');
    const file = path.join(downloads, `${id}-model.onnx`);
    for (let k = 0; k < 100 && !fs.existsSync(file); ++k) await sleep(100);
    assert.strictEqual(sha256(fs.readFileSync(file)), record.output_sha256);
    const ort = require(path.join(process.env.ORT_MODULES, 'onnxruntime-node'));
    const session = await ort.InferenceSession.create(file);
    const x = new ort.Tensor('float32', new Float32Array(2 * 3 * 64 * 64).fill(0.5), [2, 3, 64, 64]);
    const out = (await session.run({[session.inputNames[0]]: x}))[session.outputNames[0]];
    assert.deepStrictEqual(out.dims, [2, 3]);

    // OpenVINO: two files, downloaded as one zip; the bundle is offered.
    await page.click('#formats .card[data-format="openvino"]');
    await page.click('#export');
    await page.waitForFunction((old) => {
      const a = document.querySelector('#download');
      return a.getAttribute('href') !== old && ['PASS', 'WARN', 'FAIL'].includes(document.querySelector('#badge').textContent);
    }, {timeout: 300000}, href);
    const ovId = (await page.$eval('#download', (a) => a.getAttribute('href'))).match(/export-[0-9a-f]{12}/)[0];
    assert.strictEqual(await page.$eval('#bundle', (a) => a.hidden), false);
    await page.click('#download');
    const zip = path.join(downloads, `${ovId}-model.zip`);
    for (let k = 0; k < 100 && !fs.existsSync(zip); ++k) await sleep(100);
    const ovRecord = (await api(`/api/export/${ovId}`)).json;
    assert.strictEqual(sha256(fs.readFileSync(zip)), ovRecord.download.sha256);
    await page.screenshot({path: path.join(shots, '5-openvino.png'), fullPage: true});

    // Cancel a running export.
    await page.click('#formats .card[data-format="onnx"]');
    await page.click('#experiments input[value="exp-slow"]');
    // Its checkpoint is a copy of exp-tiny-net's: without force the server returns the finished one.
    await page.click('#force');
    await page.click('#export');
    await page.waitForFunction(() => document.querySelector('#status-line').textContent.includes('loading'), {timeout: 60000});
    await page.click('#cancel');
    await page.waitForFunction(() => document.querySelector('#status-line').textContent.includes('cancelled'), {timeout: 60000});
    await page.screenshot({path: path.join(shots, '6-cancelled.png'), fullPage: true});

    // The history survives a reload.
    await page.reload({waitUntil: 'networkidle0'});
    await page.waitForSelector('#history tbody tr');
    const rows = await page.$$eval('#history tbody tr', (trs) => trs.map((t) => t.dataset.id));
    for (const wanted of [id, ovId]) assert.ok(rows.includes(wanted), `history lacks ${wanted}`);
    assert.strictEqual(rows.length, 3);
    await page.screenshot({path: path.join(shots, '7-history.png'), fullPage: true});

    // Keyboard: the Export button is reachable with Tab.
    let reached = false;
    for (let k = 0; k < 60 && !reached; ++k) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement && document.activeElement.id === 'export');
    }
    assert.ok(reached, 'Export cannot be reached with the keyboard');

    // A phone's width.
    await page.setViewport({width: 390, height: 844});
    await page.screenshot({path: path.join(shots, '8-phone.png'), fullPage: true});
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page is ${overflow}px wider than a phone`);

    assert.deepStrictEqual(problems, []);
  } finally {
    await browser.close();
    server.proc.kill('SIGTERM');
  }
  console.log(`web.page: ok (screenshots in ${shots})`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
