import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Histogram } from './histogram.ts';
import { render } from './render.ts';
import { Recorder } from './results.ts';

const machine = {
  cpu: 'test cpu', cores: 2, memoryGb: 4, os: 'test', node: 'v20', v8: '11', commit: 'abc', dirty: false, loadAvg1m: 0.1,
  packages: { autocannon: '8', workerd: '1', 'aws-local-stepfunctions': '3' },
};

function sample() {
  const rec = new Recorder();
  rec.metric({ id: 'throughput', label: 'Throughput', unit: 'req/s', better: 'higher', kind: 'rate' });
  rec.metric({ id: 'latency', label: 'Latency', unit: 'ms', better: 'lower', kind: 'latency' });
  for (const [t, rps] of [['raw-node', 30000], ['nimbus', 15000]] as const) {
    for (let r = 0; r < 3; r++) {
      rec.round('throughput', t, rps + r * 100);
      const h = new Histogram();
      for (let i = 0; i < 100; i++) h.recordMs((t === 'nimbus' ? 2 : 1) + i / 100);
      rec.latencyRound('latency', t, h);
    }
  }
  rec.skip('workerd', 'all figures', 'it was not installed');
  return rec.build({
    scenario: 'demo', title: 'Demo', description: 'A demo.', quick: true, startedAt: 'now', elapsedSec: 1, machine,
    settings: { rounds: 3 }, targets: [{ id: 'raw-node', label: 'raw node:http', description: '' }, { id: 'nimbus', label: 'Nimbus', description: '' }],
    baseline: 'raw-node',
  });
}

test('the report states ratios, and names what was not measured and why', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-render-'));
  try {
    const md = render({
      scenarios: [{ id: 'demo', title: 'Demo', description: 'A demo.' }, { id: 'other', title: 'Other', description: 'Never run.' }],
      results: [sample()],
      markdownFile: join(dir, 'RESULTS.md'),
      chartsDir: join(dir, 'charts'),
      quick: true,
    });
    assert.match(md, /\| Throughput \(req\/s, higher is better\) \| Nimbus \| 15\.1k \|/);
    assert.match(md, /0\.50x/);
    assert.match(md, /workerd, all figures: not measured yet:\*\* it was not installed/);
    assert.match(md, /Other \| not measured yet/);
    const charts = readdirSync(join(dir, 'charts'));
    assert.deepEqual(charts.sort(), ['demo-latency-distribution.svg', 'demo-summary.svg']);
    for (const f of charts) {
      const svg = readFileSync(join(dir, 'charts', f), 'utf8');
      assert.ok(svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>'), f);
      assert.doesNotMatch(svg, /NaN|undefined|Infinity/, f);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
