/** `stream/promises`: pipeline and finished as promises. */
import rs from 'readable-stream';
export const { pipeline, finished } = rs.promises;
export default rs.promises;
