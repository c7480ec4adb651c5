// Loaded with `node --import`: appends every module URL the process resolves to the file
// named by NIMBUS_TRACE_IMPORTS, one a line (the hooks run on a thread of their own).
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
    import { appendFileSync } from 'node:fs';
    export async function resolve(specifier, context, next) {
      const resolved = await next(specifier, context);
      appendFileSync(${JSON.stringify(process.env.NIMBUS_TRACE_IMPORTS)}, resolved.url + '\\n');
      return resolved;
    }
  `)}`,
);
