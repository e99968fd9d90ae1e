/**
 * The status page: one self-contained HTML document (no framework, no external assets) that
 * polls `stats.json` beside it and draws live connections, streams, throughput over the last
 * minutes on a canvas, and recent refusals.
 * @module
 */

/** The page; `pollMs` is how often it asks for fresh stats. */
export function statusPageHtml(pollMs = 2000): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wisp-rx gateway</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #1d2330; background: #f6f7f9; }
 h1 { font-size: 1.2rem; margin: 0 0 1rem; }
 .cards { display: flex; gap: 1rem; flex-wrap: wrap; }
 .card { background: #fff; border-radius: 6px; padding: .8rem 1rem; min-width: 9rem; box-shadow: 0 1px 2px #0002; }
 .card b { display: block; font-size: 1.4rem; }
 canvas { background: #fff; border-radius: 6px; margin: 1rem 0; box-shadow: 0 1px 2px #0002; width: 100%; max-width: 900px; }
 table { border-collapse: collapse; background: #fff; min-width: 30rem; }
 td, th { padding: .3rem .6rem; border-bottom: 1px solid #e3e6eb; text-align: left; }
 .up { color: #2364d2; } .down { color: #d2692a; }
</style></head>
<body>
<h1>wisp-rx gateway</h1>
<div class="cards">
 <div class="card">connections<b id="connections">–</b></div>
 <div class="card">streams<b id="streams">–</b></div>
 <div class="card">event-loop lag<b id="lag">–</b></div>
 <div class="card"><span class="up">up</span> / <span class="down">down</span><b id="rate">–</b></div>
</div>
<canvas id="chart" width="900" height="220" aria-label="throughput over the last minutes"></canvas>
<h2>Live connections</h2>
<table><thead><tr><th>connection</th><th>Wisp</th><th>streams</th><th>open for</th></tr></thead><tbody id="live"></tbody></table>
<h2>Recent refusals</h2>
<table><thead><tr><th>time</th><th>target</th><th>reason</th></tr></thead><tbody id="refusals"></tbody></table>
<script>
const $ = (id) => document.getElementById(id);
const rate = (n) => n >= 1048576 ? (n / 1048576).toFixed(1) + ' MiB/s' : n >= 1024 ? (n / 1024).toFixed(1) + ' KiB/s' : Math.round(n) + ' B/s';
function draw(samples) {
  const c = $('chart'), g = c.getContext('2d');
  g.clearRect(0, 0, c.width, c.height);
  g.strokeStyle = '#e3e6eb';
  for (let y = 20; y < c.height; y += 50) { g.beginPath(); g.moveTo(40, y); g.lineTo(c.width, y); g.stroke(); }
  if (samples.length < 2) return;
  const max = Math.max(1, ...samples.map((s) => Math.max(s.up, s.down)));
  const x = (i) => 40 + (i * (c.width - 50)) / (samples.length - 1);
  const y = (v) => c.height - 10 - (v / max) * (c.height - 30);
  for (const [key, colour] of [['up', '#2364d2'], ['down', '#d2692a']]) {
    g.strokeStyle = colour; g.lineWidth = 2; g.beginPath();
    samples.forEach((s, i) => (i ? g.lineTo(x(i), y(s[key])) : g.moveTo(x(i), y(s[key]))));
    g.stroke();
  }
  g.fillStyle = '#5b6475'; g.fillText(rate(max), 2, 20);
}
async function refresh() {
  try {
    const s = await (await fetch('stats.json', { cache: 'no-store' })).json();
    $('connections').textContent = s.connections;
    $('streams').textContent = s.streams;
    $('lag').textContent = s.eventLoopLagMs === undefined ? '–' : s.eventLoopLagMs.toFixed(1) + ' ms';
    const last = s.throughput[s.throughput.length - 1];
    $('rate').textContent = last ? rate(last.up) + ' / ' + rate(last.down) : '–';
    draw(s.throughput);
    const row = (cells) => {
      const tr = document.createElement('tr');
      for (const text of cells) { const td = document.createElement('td'); td.textContent = text; tr.append(td); }
      return tr;
    };
    $('refusals').replaceChildren(...s.refusals.map((r) => row([new Date(r.t).toLocaleTimeString(), r.target, r.reason])));
    $('live').replaceChildren(...(s.live || []).map((c) => row([c.label, 'v' + c.version, String(c.streams), Math.round((Date.now() - c.since) / 1000) + ' s'])));
    document.body.dataset.updated = String(Date.now());
  } catch (e) { document.body.dataset.error = String(e); }
}
refresh(); setInterval(refresh, ${Math.max(100, Math.floor(pollMs))});
</script></body></html>
`;
}
