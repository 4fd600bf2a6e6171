// The Export page: the studio design's export flow over mlexport-server's API (same origin).
'use strict';

const $ = (sel) => document.querySelector(sel);
const state = {project: null, experiments: [], experiment: null, formats: [], format: null, current: null,
               stream: null};
const FINAL = new Set(['completed', 'failed', 'cancelled']);

async function api(method, path, body) {
  const init = {method, headers: {}};
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const json = (res.headers.get('content-type') || '').includes('application/json') ? await res.json() : null;
  return {status: res.status, json};
}

function text(el, value) { el.textContent = value == null ? '' : String(value); return el; }
function cell(row, value) { return text(row.insertCell(), value); }
const sci = (v) => (typeof v === 'number' ? v.toExponential(2) : '—');
const mb = (v) => (typeof v === 'number' ? `${v < 0.1 ? v.toFixed(3) : v.toFixed(1)} MB` : '—');

function age(iso) {
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return `${Math.round(seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

// ---- 1. project, experiment, checkpoint ----

async function loadProjects() {
  const r = await api('GET', '/api/projects');
  const select = $('#project');
  select.replaceChildren();
  for (const p of r.json.projects) {
    const option = document.createElement('option');
    option.value = p.id;
    text(option, `${p.name} (${p.id})`);
    select.append(option);
  }
  await chooseProject(select.value);
}

async function chooseProject(id) {
  state.project = id;
  const r = await api('GET', `/api/projects/${encodeURIComponent(id)}/experiments`);
  if (state.project !== id) return;  // another project was chosen while this one loaded
  state.experiments = r.json.experiments;
  text($('#project-task'), `task: ${r.json.project.task}`);
  const body = $('#experiments tbody');
  body.replaceChildren();
  for (const e of state.experiments) {
    const row = body.insertRow();
    row.className = 'selectable';
    row.tabIndex = 0;
    row.dataset.id = e.id;
    row.setAttribute('aria-selected', 'false');
    const label = document.createElement('label');
    const radio = document.createElement('input');
    radio.type = 'radio';
    radio.name = 'experiment';
    radio.value = e.id;
    label.append(radio, ` ${e.id}`);
    row.insertCell().append(label);
    cell(row, e.architecture);
    cell(row, r.json.project.task);
    cell(row, (e.created_at || '').slice(0, 10));
    cell(row, Object.entries(e.metrics || {}).map(([k, v]) => `${k} ${v}`).join(', '));
    radio.addEventListener('change', () => chooseExperiment(e.id));
    row.addEventListener('click', (ev) => { if (ev.target !== radio) { radio.checked = true; chooseExperiment(e.id); } });
  }
  if (state.experiments.length) {
    body.querySelector('input').checked = true;
    chooseExperiment(state.experiments[0].id);
  }
  await loadHistory();
}

function chooseExperiment(id) {
  state.experiment = state.experiments.find((e) => e.id === id);
  for (const row of document.querySelectorAll('#experiments tbody tr'))
    row.setAttribute('aria-selected', String(row.dataset.id === id));
  const names = (state.experiment.checkpoints || []).map((c) => c.name);
  for (const radio of document.querySelectorAll('input[name=checkpoint]')) {
    radio.disabled = !names.includes(radio.value);
    if (radio.disabled && radio.checked) radio.checked = false;
  }
  if (!document.querySelector('input[name=checkpoint]:checked')) {
    const first = document.querySelector('input[name=checkpoint]:not(:disabled)');
    if (first) first.checked = true;
  }
  const size = state.experiment.input_size || [3, 224, 224];
  $('#height').value = size[1] || 224;
  $('#width').value = size[2] || 224;
}

// ---- 2. formats ----

async function loadFormats() {
  const r = await api('GET', '/api/export/formats');
  state.formats = r.json.formats;
  const cards = $('#formats');
  cards.replaceChildren();
  for (const f of state.formats) {
    const card = document.createElement('button');
    card.type = 'button';
    card.className = 'card';
    card.setAttribute('role', 'radio');
    card.setAttribute('aria-checked', 'false');
    card.dataset.format = f.name;
    const name = text(document.createElement('span'), f.display_name);
    name.className = 'name';
    const ext = text(document.createElement('span'), f.extensions.join(' '));
    ext.className = 'reason';
    card.append(name, ext);
    if (!f.available) {
      card.disabled = true;
      card.setAttribute('aria-disabled', 'true');
      const soon = text(document.createElement('span'), 'Coming Soon');
      soon.className = 'soon';
      const reason = text(document.createElement('span'), f.unavailable_reason);
      reason.className = 'reason';
      card.append(soon, reason);
      card.title = f.unavailable_reason;
    } else {
      card.addEventListener('click', () => chooseFormat(f.name));
    }
    cards.append(card);
  }
  chooseFormat(state.formats.find((f) => f.available).name);
}

function chooseFormat(name) {
  state.format = state.formats.find((f) => f.name === name);
  for (const card of document.querySelectorAll('#formats .card'))
    card.setAttribute('aria-checked', String(card.dataset.format === name));
  const accepted = new Set(state.format.options.map((o) => o.name));
  for (const field of document.querySelectorAll('#options .field')) {
    const option = field.dataset.option;
    field.hidden = option === 'precision' ? !accepted.has('precision') : !accepted.has(option);
  }
}

// ---- 3. options, checked before sending ----

function clearErrors() {
  for (const el of document.querySelectorAll('.field-error')) el.textContent = '';
  for (const el of document.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

function showError(field, message) {
  const key = (field || '').replace(/^options\./, '');
  const target = document.getElementById(`error-${key}`) || $('#error-general');
  text(target, message);
  const input = {opset_version: '#opset', input_shape: '#height', precision: '#precision'}[key];
  if (input) {
    $(input).setAttribute('aria-invalid', 'true');
    $(input).setAttribute('aria-describedby', target.id);
    $(input).focus();
  }
}

function readRequest() {
  const accepted = new Set(state.format.options.map((o) => o.name));
  const options = {};
  const problems = [];
  const opset = Number($('#opset').value);
  if (!Number.isInteger(opset) || opset < 11 || opset > 17)
    problems.push(['options.opset_version', 'Opset must be a whole number from 11 to 17.']);
  options.opset_version = Number.isFinite(opset) ? opset : $('#opset').value;
  const h = Number($('#height').value), w = Number($('#width').value);
  if (![h, w].every((v) => Number.isInteger(v) && v >= 1 && v <= 8192))
    problems.push(['options.input_shape', 'Height and width must be whole numbers from 1 to 8192.']);
  const channels = (state.experiment.input_size || [3])[0];
  options.input_shape = [1, channels, h, w];
  if (accepted.has('dynamic_axes')) options.dynamic_axes = $('#dynamic').checked;
  options.simplify = $('#simplify').checked;
  if (accepted.has('precision')) {
    const p = $('#precision').value;
    options.precision = p === 'fp16' ? 'fp16' : 'fp32';
    options.quantize = p === 'int8' ? 'int8' : 'none';
  }
  if (accepted.has('compress_to_fp16')) options.compress_to_fp16 = $('#compress').checked;
  if (accepted.has('segmentation_output')) {
    options.segmentation_output = $('#segmentation-output').value;
  }
  const checkpoint = document.querySelector('input[name=checkpoint]:checked');
  if (!checkpoint) problems.push(['checkpoint', 'This experiment has no checkpoint.']);
  return {problems, body: {experiment_id: state.experiment.id, checkpoint: checkpoint && checkpoint.value,
                           format: state.format.name, options, force: $('#force').checked}};
}

async function submitExport(event) {
  event.preventDefault();
  clearErrors();
  const {problems, body} = readRequest();
  if (problems.length) {
    for (const [field, message] of problems.reverse()) showError(field, message);
    return;
  }
  $('#export').disabled = true;
  try {
    const r = await api('POST', `/api/projects/${encodeURIComponent(state.project)}/exports`, body);
    if (r.status >= 400) {
      showError(r.json.error.field, r.json.error.message);
      return;
    }
    follow(r.json);
    await loadHistory();
  } finally {
    $('#export').disabled = false;
  }
}

// ---- 4. progress from the event stream, then the result ----

function showStage(stage) {
  const order = ['queued', 'loading', 'converting', 'validating'];
  const at = FINAL.has(stage) ? order.length : order.indexOf(stage);
  for (const li of document.querySelectorAll('#stages li')) {
    const k = li.dataset.stage === 'done' ? order.length : order.indexOf(li.dataset.stage);
    li.className = k < at ? 'done' : k === at ? (FINAL.has(stage) ? 'done' : 'active') : '';
    if (li.dataset.stage === 'done') text(li, FINAL.has(stage) ? stage : 'done');
  }
  text($('#status-line'), `Status: ${stage}`);
  $('#cancel').hidden = FINAL.has(stage);
}

function follow(record) {
  if (state.stream) state.stream.close();
  state.current = record;
  $('#progress-section').hidden = false;
  $('#result').hidden = true;
  text($('#log'), '');
  showStage(record.status);
  if (FINAL.has(record.status)) {
    text($('#log'), (record.log || []).join('\n'));
    showResult(record);
    return;
  }
  const stream = new EventSource(`/api/export/${record.id}/events`);
  state.stream = stream;
  stream.addEventListener('log', (e) => { $('#log').textContent += JSON.parse(e.data).line + '\n'; });
  stream.addEventListener('stage', async (e) => {
    const data = JSON.parse(e.data);
    showStage(data.stage);
    if (FINAL.has(data.stage)) {
      stream.close();
      const r = await api('GET', `/api/export/${record.id}`);
      showResult(r.json);
      await loadHistory();
    }
  });
  stream.onerror = () => { if (stream.readyState === EventSource.CLOSED) state.stream = null; };
}

function showResult(record) {
  state.current = record;
  $('#result').hidden = false;
  const badge = $('#badge');
  const v = record.validation;
  const verdict = record.status !== 'completed' ? record.status.toUpperCase() : (v && v.status) || 'NOT RUN';
  text(badge, verdict);
  badge.className = `badge ${record.status === 'completed' ? verdict : 'FAIL'}`;
  const seconds = record.timings && record.timings.run_seconds;
  const summary = record.status === 'completed'
    ? `${record.output_file}, ${mb(record.output_size_mb)}, ${seconds ? seconds.toFixed(1) + ' s' : ''}`
    : (record.error && record.error.message) || '';
  text($('#result-summary'), summary);
  const body = $('#metrics tbody');
  body.replaceChildren();
  for (const o of (v && v.report && v.report.outputs) || []) {
    const row = body.insertRow();
    row.dataset.output = o.name;
    cell(row, o.name);
    cell(row, sci(o.max_diff)).className = 'max-diff';
    cell(row, sci(o.mse)).className = 'mse';
    cell(row, typeof o.cosine_similarity === 'number' ? o.cosine_similarity.toFixed(6) : '—').className = 'cosine';
    cell(row, o.status);
  }
  const completed = record.status === 'completed';
  $('#download').hidden = !completed;
  $('#bundle').hidden = !completed || (record.files || []).length < 2;
  $('#download').href = `/api/export/${record.id}/download`;
  $('#bundle').href = `/api/export/${record.id}/download?bundle=1`;
  $('#download').setAttribute('download', '');
  $('#bundle').setAttribute('download', '');
}

async function cancelCurrent() {
  if (!state.current) return;
  const r = await api('POST', `/api/export/${state.current.id}/cancel`);
  if (r.status === 200) { showStage(r.json.status); showResult(r.json); }
  await loadHistory();
}

// ---- history ----

async function loadHistory() {
  const r = await api('GET', `/api/projects/${encodeURIComponent(state.project)}/exports?limit=100`);
  const body = $('#history tbody');
  body.replaceChildren();
  for (const e of r.json.exports) {
    const row = body.insertRow();
    row.dataset.id = e.id;
    cell(row, e.status).className = 'status';
    cell(row, e.format);
    cell(row, e.experiment_id);
    cell(row, e.checkpoint);
    cell(row, mb(e.output_size_mb));
    cell(row, e.validation && e.validation.passed != null ? (e.validation.passed ? 'passed' : 'failed') : '—');
    cell(row, age(e.created_at));
    const actions = row.insertCell();
    const show = document.createElement('button');
    show.type = 'button';
    show.className = 'secondary';
    text(show, 'Show');
    show.setAttribute('aria-label', `Show export ${e.id}`);
    show.addEventListener('click', async () => follow((await api('GET', `/api/export/${e.id}`)).json));
    actions.append(show, ' ');
    if (e.status === 'completed') {
      const link = document.createElement('a');
      link.href = `/api/export/${e.id}/download`;
      link.setAttribute('download', '');
      text(link, 'Download');
      link.setAttribute('aria-label', `Download export ${e.id}`);
      actions.append(link, ' ');
    }
    if (FINAL.has(e.status)) {
      const del = document.createElement('button');
      del.type = 'button';
      del.className = 'secondary delete';
      text(del, 'Delete');
      del.setAttribute('aria-label', `Delete export ${e.id}`);
      del.addEventListener('click', async () => { await api('DELETE', `/api/export/${e.id}`); await loadHistory(); });
      actions.append(del);
    }
  }
}

// ---- start ----

$('#project').addEventListener('change', (e) => chooseProject(e.target.value));
$('#options').addEventListener('submit', submitExport);
$('#cancel').addEventListener('click', cancelCurrent);
Promise.all([loadFormats(), loadProjects()]).catch((e) => text($('#error-general'), `Cannot reach the server: ${e.message}`));
