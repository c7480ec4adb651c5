/** What `nimbus up` prints once the platform is ready: where it is, and what to try first. */

export interface BannerInput {
  readonly url: string;
  readonly dataDir: string;
  /** Names of the functions deployed now. */
  readonly functions: readonly string[];
  /** What the host enforces on app and node processes (GET /api/v1/runtimes), one line. */
  readonly apps?: string;
  /** Whether the web console is served (at /console). */
  readonly console?: boolean;
}

export function startBanner({ url, dataDir, functions, apps, console: consoleOn = false }: BannerInput): string {
  // Suggest a function that exists: hello when the examples are deployed, else the first one.
  const first = functions.includes('hello') ? 'hello' : functions[0];
  const tryLine =
    first === undefined
      ? '  try:  nimbus deploy <name> ./my-function.ts   ·   nimbus help'
      : `  try:  curl ${url}/fn/${first}/${first === 'hello' ? 'world' : ''}   ·   nimbus ls   ·   nimbus invocations ${first}`;
  const lines = [
    '',
    `  Nimbus ready on ${url}`,
    `  data:   ${dataDir}  (API token in ${dataDir}/token; \`nimbus token\` prints it)`,
    `  API:    ${url}/api/v1   OpenAPI: ${url}/api/v1/openapi.json`,
    ...(consoleOn ? [`  console: ${url}/console/  (log in with the API token)`] : []),
    ...(apps === undefined ? [] : [`  apps:   ${apps}`]),
    functions.length > 0 ? `  functions:` : '  no functions yet',
    ...functions.map((name) => `    ${url}/fn/${name}/`),
    '',
    tryLine,
    '  stop: Ctrl-C (in-flight requests finish first; Ctrl-C again stops at once)',
    '',
  ];
  return lines.join('\n') + '\n';
}
