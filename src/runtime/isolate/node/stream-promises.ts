/** `stream/promises`: pipeline and finished as promises. */
// require(), not import: esbuild would wrap the CommonJS module in an ES namespace copy with a getter per property
// eslint-disable-next-line @typescript-eslint/no-require-imports
const rs = require('readable-stream') as typeof import('readable-stream');
export const { pipeline, finished } = rs.promises;
export default rs.promises;
