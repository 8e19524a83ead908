/* r1lit report.html sample browser (vanilla JS, no network).
 *
 * Reads the problem summaries from the JSON script element #r1lit-data; sample texts live in chunks,
 * parsed (inline JSON script elements #r1lit-chunk-N) or loaded (a script element whose src is a sibling
 * chunk file) only when a problem is opened. Model text is only ever set through textContent.
 * Filter state lives in the URL hash (#bench=..&status=..&q=..&tag=..&page=..&open=<key>), so a reload or a
 * headless browser given a URL shows the same view.
 */
(function () {
  'use strict';
  const D = JSON.parse(document.getElementById('r1lit-data').textContent);
  const state = { bench: '', status: 'all', tag: '', q: '', page: 0, open: '' };
  const chunks = {};
  const pending = {};
  const reflect = D.reflection.length
    ? new RegExp('(?<![\\w-])(?:' + D.reflection.map(escapeRe).join('|') + ')(?![\\w-])', 'gi') : null;

  function escapeRe(s) { return s.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+'); }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // ---- state <-> URL hash
  function readHash() {
    const p = new URLSearchParams(location.hash.slice(1));
    state.bench = p.get('bench') || '';
    state.status = p.get('status') || 'all';
    state.tag = p.get('tag') || '';
    state.q = p.get('q') || '';
    state.page = Math.max(0, parseInt(p.get('page') || '0', 10) || 0);
    state.open = p.get('open') || '';
  }
  function writeHash() {
    const p = new URLSearchParams();
    for (const k of ['bench', 'tag', 'q', 'open']) if (state[k]) p.set(k, state[k]);
    if (state.status !== 'all') p.set('status', state.status);
    if (state.page) p.set('page', String(state.page));
    history.replaceState(null, '', '#' + p.toString());
  }

  // ---- filtering (a sample is [pred, status, ok, tokens, finish_reason])
  function category(s) { return s[2] ? 'correct' : s[1] === 'no_answer' ? 'no_answer' : 'incorrect'; }
  function sampleMatches(s) {
    if (state.status === 'all') return true;
    if (state.status === 'truncated') return s[4] === 'length';
    return category(s) === state.status;
  }
  function textOf(p) {
    const parts = [p.key, p.gold, p.question];
    for (const c of p.cols) for (const s of c.samples) parts.push(s[0] || '');
    const loaded = chunks[p.chunk];
    if (loaded && loaded[p.key]) for (const texts of loaded[p.key]) parts.push(...texts);
    return parts.join('\n').toLowerCase();
  }
  function parseInlineChunks() { // small reports: every sample text is searchable
    if (!D.inline) return;
    for (let i = 0; i < D.n_chunks; i++) if (!chunks[i]) loadChunk(i, () => {});
  }
  function problemMatches(p) {
    if (state.bench && p.bench !== state.bench) return false;
    if (state.tag && p.tag !== state.tag) return false;
    if (!p.cols.some(c => c.samples.some(sampleMatches))) return false;
    return !state.q || textOf(p).includes(state.q.toLowerCase());
  }

  // ---- chunks of sample texts
  function chunkReady(i, data) {
    if (data) chunks[i] = data;
    (pending[i] || []).forEach(cb => cb(data));
    delete pending[i];
  }
  async function inflate(b64) { // a chunk file holds its JSON zlib-compressed, base64-encoded
    const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
    return JSON.parse(await new Response(stream).text());
  }
  window.r1litChunk = function (i, data) {
    if (typeof data !== 'string') return chunkReady(i, data);
    inflate(data).then(d => chunkReady(i, d), () => chunkReady(i, null));
  };
  function loadChunk(i, cb) {
    if (chunks[i]) return cb(chunks[i]);
    const inline = document.getElementById('r1lit-chunk-' + i);
    if (inline) { chunks[i] = JSON.parse(inline.textContent); return cb(chunks[i]); }
    if (pending[i]) { pending[i].push(cb); return; }
    pending[i] = [cb];
    const s = document.createElement('script');
    s.src = D.chunk_dir + '/chunk-' + i + '.js';
    s.onerror = () => chunkReady(i, null);
    document.head.appendChild(s);
  }

  // ---- one sample's text: <think> collapsible, extracted answer and reflection phrases highlighted
  function marks(text, pred, answerFrom) {
    const out = [];
    if (reflect) for (const m of text.matchAll(reflect)) out.push([m.index, m.index + m[0].length, 'reflect']);
    if (pred) {
      const at = text.lastIndexOf(pred);
      if (at >= answerFrom) out.push([at, at + pred.length, 'answer']);
    }
    out.sort((a, b) => a[0] - b[0]);
    return out;
  }
  function appendMarked(parent, text, offset, ms) {
    let pos = 0;
    for (const [a0, b0, cls] of ms) {
      const a = a0 - offset, b = b0 - offset;
      if (a < pos || b > text.length || a < 0) continue; // overlapping or in another segment
      if (a > pos) parent.appendChild(document.createTextNode(text.slice(pos, a)));
      parent.appendChild(el('mark', cls, text.slice(a, b)));
      pos = b;
    }
    if (pos < text.length) parent.appendChild(document.createTextNode(text.slice(pos)));
  }
  function renderText(text, pred) {
    const box = el('div', 'text');
    const closed = text.indexOf('</think>');
    const open = closed < 0 && text.trimStart().startsWith('<think>'); // cut off while thinking
    const end = open ? text.length : closed;
    const ms = marks(text, pred, end < 0 ? 0 : end);
    if (end < 0) { appendMarked(box, text, 0, ms); return box; }
    const think = el('details', 'think');
    think.appendChild(el('summary', null, 'think (' + (open ? 'unfinished, ' : '') + end + ' characters)'));
    const inner = el('div');
    appendMarked(inner, text.slice(0, end), 0, ms);
    think.appendChild(inner);
    box.appendChild(think);
    appendMarked(box, text.slice(end), end, ms);
    return box;
  }

  // ---- one problem
  function clusterChips(col) {
    const span = el('span');
    col.clusters.forEach(([answer, count, ok], j) => {
      const chip = el('span', 'chip ' + (ok ? 'ok' : 'bad') + (j === col.winner ? ' win' : ''), answer + ' \u00d7' + count);
      chip.title = j === col.winner ? 'majority vote (cons@k answer)' : 'answer cluster';
      span.appendChild(chip);
    });
    return span;
  }
  function colSummary(col) {
    const k = col.samples.length, c = col.samples.filter(s => s[2]).length;
    const toks = col.samples.map(s => s[3]);
    const cut = col.samples.filter(s => s[4] === 'length').length;
    const mean = toks.length ? Math.round(toks.reduce((a, b) => a + b, 0) / toks.length) : 0;
    return col.label + ': ' + c + '/' + k + ' correct, mean ' + mean + ' tokens, ' + cut + ' truncated ';
  }
  function renderSamples(box, p, data) {
    const texts = data && data[p.key];
    p.cols.forEach((col, ci) => {
      const div = box.children[ci];
      const shown = col.samples.map((s, j) => [s, j]).filter(([s]) => sampleMatches(s));
      div.appendChild(el('div', 'head', 'showing ' + shown.length + ' of ' + col.samples.length + ' samples'));
      for (const [s, j] of shown) {
        const one = el('div', 'sample');
        one.dataset.sample = String(j);
        const head = el('div', 'head');
        head.appendChild(el('span', 'st-' + category(s), '#' + j + ' ' + s[1]));
        head.appendChild(el('span', null, ' answer: '));
        head.appendChild(el('code', null, s[0] === null ? '(none)' : s[0]));
        head.appendChild(el('span', null, ' \u00b7 ' + s[3] + ' tokens \u00b7 finish: ' + s[4]));
        one.appendChild(head);
        if (texts) one.appendChild(renderText(texts[ci][j], s[0]));
        else one.appendChild(el('div', 'error', 'sample text not available (chunk ' + p.chunk + ' did not load)'));
        div.appendChild(one);
      }
    });
  }
  function renderProblem(p) {
    const d = el('details', 'problem');
    d.dataset.key = p.key;
    const sum = el('summary');
    sum.appendChild(el('span', 'pid', p.key));
    sum.appendChild(el('span', null, ' \u00b7 gold '));
    sum.appendChild(el('code', 'gold', p.gold));
    if (p.tag) sum.appendChild(el('span', 'chip', p.tag));
    for (const col of p.cols) {
      sum.appendChild(el('br'));
      sum.appendChild(el('span', 'colsum', colSummary(col)));
      sum.appendChild(clusterChips(col));
    }
    d.appendChild(sum);
    let filled = false;
    d.addEventListener('toggle', () => {
      if (d.open) { state.open = p.key; writeHash(); } else if (state.open === p.key) { state.open = ''; writeHash(); }
      if (!d.open || filled) return;
      filled = true;
      if (p.question) d.appendChild(el('pre', 'question', p.question));
      const box = el('div', 'cols');
      box.style.gridTemplateColumns = D.side_by_side ? 'repeat(' + p.cols.length + ', minmax(0, 1fr))' : '1fr';
      for (const col of p.cols) { const c = el('div', 'col'); c.appendChild(el('h3', null, col.label)); box.appendChild(c); }
      d.appendChild(box);
      loadChunk(p.chunk, data => {
        renderSamples(box, p, data);
        document.body.dataset.openedMs = String(Math.round(performance.now())); // since navigation start
      });
    });
    return d;
  }

  // ---- the list, pager and controls
  function render() {
    const t0 = performance.now();
    if (state.q) parseInlineChunks();
    const list = document.getElementById('problems');
    list.replaceChildren();
    const hits = D.problems.filter(problemMatches);
    const pages = Math.max(1, Math.ceil(hits.length / D.page_size));
    state.page = Math.min(state.page, pages - 1);
    document.getElementById('count').textContent =
      hits.length + ' of ' + D.problems.length + ' problems \u00b7 page ' + (state.page + 1) + ' of ' + pages;
    const start = state.page * D.page_size;
    for (const p of hits.slice(start, start + D.page_size)) {
      const d = renderProblem(p);
      list.appendChild(d);
      if (p.key === state.open) d.open = true;
    }
    document.getElementById('prev').disabled = state.page === 0;
    document.getElementById('next').disabled = state.page >= pages - 1;
    writeHash();
    document.body.dataset.renderMs = String(Math.round(performance.now() - t0)); // for size/speed checks
  }
  function fillSelect(id, values, allLabel) {
    const sel = document.getElementById(id);
    sel.replaceChildren(new Option(allLabel, ''));
    for (const v of values) sel.appendChild(new Option(v, v));
  }
  function setup() {
    readHash();
    fillSelect('bench', [...new Set(D.problems.map(p => p.bench))], 'all ' + D.bench_label + 's');
    const tags = [...new Set(D.problems.map(p => p.tag).filter(Boolean))];
    fillSelect('tag', tags, 'all problems');
    document.getElementById('tag').hidden = !tags.length;
    const bind = (id, key, ev) => {
      const e = document.getElementById(id);
      e.value = state[key];
      e.addEventListener(ev, () => { state[key] = e.value; state.page = 0; render(); });
    };
    bind('bench', 'bench', 'change');
    bind('status', 'status', 'change');
    bind('tag', 'tag', 'change');
    bind('q', 'q', 'input');
    document.getElementById('prev').addEventListener('click', () => { state.page--; render(); });
    document.getElementById('next').addEventListener('click', () => { state.page++; render(); });
    if (state.open) { // a link to one problem shows the page it is on
      const at = D.problems.filter(problemMatches).findIndex(p => p.key === state.open);
      if (at >= 0) state.page = Math.floor(at / D.page_size);
    }
    document.getElementById('q').placeholder = D.inline
      ? 'search ids, questions, answers, sample texts' : 'search ids, questions, answers (sample texts: opened chunks)';
    render();
    document.body.dataset.ready = '1';
    document.body.dataset.loadMs = String(Math.round(performance.now())); // since navigation start
  }
  setup();
})();
