import semver from 'semver';

export default function probe() {
  return {
    valid: [semver.valid('1.2.3'), semver.valid('a.b.c'), semver.clean('  =v2.0.0  ')],
    satisfies: [semver.satisfies('1.2.3', '^1.0.0'), semver.satisfies('2.0.0-beta.1', '>=1.0.0'), semver.satisfies('20.11.0', '>=18 <21')],
    max: semver.maxSatisfying(['1.2.3', '1.4.0', '2.0.0'], '~1.4'),
    inc: [semver.inc('1.2.3', 'minor'), semver.inc('1.2.3-rc.1', 'prerelease'), semver.inc('1.2.3', 'premajor', 'beta')],
    sorted: semver.rsort(['1.0.0', '1.10.0', '1.2.0', '1.2.0-alpha']),
    coerce: semver.coerce('v3.4 beta')?.version,
    diff: semver.diff('1.2.3', '1.3.0'),
    range: new semver.Range('>=1.2.7 <1.3.0 || ^2').format(),
  };
}
