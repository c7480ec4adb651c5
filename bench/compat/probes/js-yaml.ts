import * as yaml from 'js-yaml';

export default function probe() {
  const doc = yaml.load(`
service: api
replicas: 3
enabled: true
ports: [80, 443]
env:
  - name: A
    value: "1"
anchors:
  base: &b { x: 1 }
  derived: { <<: *b, y: 2 }
when: 2024-02-29
multi: |
  line one
  line two
`) as Record<string, unknown>;
  let error = '';
  try {
    yaml.load('a: [1, 2');
  } catch (e) {
    error = (e as Error).name;
  }
  return { doc, dumped: yaml.dump({ a: 1, b: ['x', 'y'], c: { d: null, e: 'multi\nline' } }), error };
}
