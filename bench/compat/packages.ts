/**
 * The packages of the compatibility suite, in the order of its table: each with the probe
 * that exercises it (probes/<probe>.ts) and what that probe does. Versions are read from
 * bench/node_modules at run time. `reference` rows are covered elsewhere and only listed.
 */
export interface CompatPackage {
  /** The npm package whose version the table shows. */
  readonly pkg: string;
  /** probes/<probe>.ts; absent for a reference row. */
  readonly probe?: string;
  readonly exercises: string;
  /** Why it does not give Node's output, once found: shown before the difference the run finds. */
  readonly known?: string;
  /** Packages its function bundles from their Node build (nimbus.json `nodeBuild`; workerd bundles as wrangler does). */
  readonly nodeBuild?: readonly string[];
}

export const PACKAGES: readonly CompatPackage[] = [
  { pkg: 'jsonwebtoken', probe: 'jsonwebtoken', exercises: 'HS256 and RS256 sign/verify with a fixed key and iat, expiry and bad-signature errors' },
  { pkg: 'jose', probe: 'jose', exercises: 'SignJWT/jwtVerify HS256 and RS256 (PKCS#8/SPKI import), EncryptJWT round trip, JWK export' },
  { pkg: 'uuid', probe: 'uuid', exercises: 'v1/v3/v5/v6/v7 with fixed inputs, v4 validity, parse/stringify' },
  { pkg: 'nanoid', probe: 'nanoid', exercises: 'nanoid() and customAlphabet shapes' },
  { pkg: 'lodash', probe: 'lodash', exercises: 'chunk, groupBy, orderBy, merge, get/set, cloneDeep, case helpers, template' },
  { pkg: 'date-fns', probe: 'date-fns', exercises: 'addDays, differences, parseISO, format, ISO weeks, intervals' },
  { pkg: 'dayjs', probe: 'dayjs', exercises: 'utc, timezone (Asia/Tokyo, America/New_York), relativeTime, customParseFormat plugins' },
  { pkg: 'luxon', probe: 'luxon', exercises: 'zones (Europe/Berlin, Australia/Sydney), German locale, durations, intervals' },
  { pkg: 'zod', probe: 'zod', exercises: 'object parse, coerce, safeParse issues, toJSONSchema' },
  { pkg: 'yup', probe: 'yup', exercises: 'async validate, cast, collected errors' },
  { pkg: 'ajv', probe: 'ajv', exercises: 'compile (generated code) and validate with allErrors' },
  { pkg: 'joi', probe: 'joi', exercises: 'object schema validate, ISO dates, error details' },
  { pkg: 'validator', probe: 'validator', exercises: 'isEmail, isURL, isIP, escape, normalizeEmail, isCreditCard, isJWT' },
  { pkg: 'bcryptjs', probe: 'bcryptjs', exercises: 'hashSync with a fixed salt, compare, async hash with a random salt' },
  { pkg: 'crypto-js', probe: 'crypto-js', exercises: 'AES-CBC with fixed key/iv and with a passphrase, SHA-256/MD5/SHA-3, HMAC, PBKDF2' },
  { pkg: '@noble/hashes', probe: 'noble-hashes', exercises: 'sha2, sha3, blake2b, hmac, pbkdf2, scrypt' },
  { pkg: 'js-yaml', probe: 'js-yaml', exercises: 'load with anchors/merge keys/dates, dump, syntax errors' },
  { pkg: 'json5', probe: 'json5', exercises: 'parse comments/hex/Infinity, stringify' },
  { pkg: 'fast-xml-parser', probe: 'fast-xml-parser', exercises: 'validate, parse with attributes and CDATA, build' },
  { pkg: 'xml2js', probe: 'xml2js', exercises: 'parseStringPromise (sax streams), Builder, parse errors' },
  { pkg: 'cheerio', probe: 'cheerio', exercises: 'load, select, mutate, data/attr, extract' },
  { pkg: 'marked', probe: 'marked', exercises: 'GFM to HTML (tables, code), lexer' },
  { pkg: 'markdown-it', probe: 'markdown-it', exercises: 'render with linkify/typographer, punycode links' },
  { pkg: 'handlebars', probe: 'handlebars', exercises: 'compile (generated code), helpers, partials, escaping' },
  { pkg: 'mustache', probe: 'mustache', exercises: 'render with sections, inverted sections, partials' },
  { pkg: 'qs', probe: 'qs', exercises: 'nested parse/stringify, allowDots, array formats, depth limit' },
  { pkg: 'cookie', probe: 'cookie', exercises: 'parse, serialize with every attribute' },
  { pkg: 'mime-types', probe: 'mime-types', exercises: 'lookup, contentType, extension, charset' },
  { pkg: 'papaparse', probe: 'papaparse', exercises: 'CSV with quotes and dynamic typing, unparse, TSV' },
  { pkg: 'csv-parse', probe: 'csv-parse', exercises: 'sync parse with columns/cast, stream parse (node:stream), errors' },
  { pkg: 'iconv-lite', probe: 'iconv-lite', exercises: 'win1251, latin1, Shift_JIS, GBK, UTF-16LE, BOM (Buffer)' },
  { pkg: 'pako', probe: 'pako', exercises: 'deflate/inflate, gzip/ungzip, raw deflate' },
  { pkg: 'fflate', probe: 'fflate', exercises: 'zip/unzip with a fixed mtime, gzip, deflate' },
  { pkg: '@msgpack/msgpack', probe: 'msgpack', exercises: 'encode/decode with binary, dates, 64-bit numbers' },
  { pkg: 'superjson', probe: 'superjson', exercises: 'serialize/parse Date, Map, Set, BigInt, RegExp, undefined, NaN' },
  { pkg: 'immer', probe: 'immer', exercises: 'produce, structural sharing, freezing, patches and inverse patches' },
  { pkg: 'lru-cache', probe: 'lru-cache', exercises: 'max, eviction order, dispose, maxSize' },
  { pkg: 'semver', probe: 'semver', exercises: 'valid, satisfies, maxSatisfying, inc, rsort, coerce, ranges' },
  { pkg: 'ms', probe: 'ms', exercises: 'parse and format durations' },
  { pkg: 'debug', probe: 'debug', exercises: 'enable/disable patterns, extend, custom log, humanize', nodeBuild: ['debug'], known: "the package's browser build would be bundled (as for Workers), whose formatters are %j (Node's build has %o/%O): the probe's function lists debug in nimbus.json `nodeBuild`" },
  { pkg: 'axios', probe: 'axios', exercises: 'the fetch adapter with a fetch of its own (offline): params, JSON body, interceptors, 404 errors' },
  { pkg: 'hono', probe: 'hono', exercises: 'routes, cors, basicAuth, JSON bodies, notFound, hono/jwt' },
  { pkg: 'itty-router', probe: 'itty-router', exercises: 'AutoRouter and Router, params, JSON bodies, 404' },
  { pkg: 'stripe', probe: 'stripe', exercises: 'client construction, webhook signature header and constructEventAsync (offline), forged signature' },
  { pkg: '@aws-sdk/client-s3', probe: 'aws-sdk-client-s3', exercises: 'S3Client + getSignedUrl (s3-request-presigner) GET/PUT with a fixed date, path style (offline)' },
  { pkg: 'pg', probe: 'pg', exercises: 'Client from a connection string, escapeIdentifier/escapeLiteral, type parsers, Pool (offline; `select 1` against PostgreSQL is an end-to-end test)' },
  { pkg: 'mysql2', probe: 'mysql2', exercises: 'format/escape/raw, createPool settings (offline)' },
  { pkg: 'busboy', probe: 'busboy', exercises: 'multipart/form-data fields and a file, fed in pieces (node:stream, Buffer)' },
  { pkg: 'jszip', probe: 'jszip', exercises: 'generate and load a zip with a fixed date (DEFLATE and STORE), read files back' },
  { pkg: 'pino', probe: 'pino', exercises: 'JSON lines to a destination of its own, levels, child loggers, error serialisation, format args', known: "the package's browser build is bundled (as for Workers): it logs through console methods and ignores a destination stream (its `browser.write` option takes one). Its Node build cannot stand in: it imports worker_threads (lib/tools.js) and module (lib/transport.js, for transports), which functions do not have, so listing pino in `nodeBuild` fails the deploy naming worker_threads" },
  { pkg: 'graphql', probe: 'graphql', exercises: 'buildSchema, execute with variables and defaults, validate, print' },
  { pkg: 'openai', probe: 'openai', exercises: 'chat.completions.create with a fetch of its own (offline): the request sent and the answer parsed' },
  { pkg: 'decimal.js', probe: 'decimal-js', exercises: 'precision and rounding settings, division, powers, roots, exp' },
  { pkg: 'sanitize-html', probe: 'sanitize-html', exercises: 'default and custom allow-lists, transformTags, text only (htmlparser2, postcss)' },
  { pkg: 'rxjs', probe: 'rxjs', exercises: 'operators (filter, map, reduce, mergeMap, scan), Subject, BehaviorSubject' },
  { pkg: 'node-fetch', probe: 'node-fetch', exercises: 'v2: Headers, Request, Response classes (offline)' },
  { pkg: 'form-data', probe: 'form-data', exercises: 'append fields; the multipart helpers (getHeaders, getBoundary)', known: "the package's browser build is bundled (as for Workers): it is the runtime's own FormData (which fetch sends as multipart), without the Node build's stream helpers getBoundary/getHeaders/getLengthSync. Its Node build cannot stand in: it imports http and https (for submit()), which functions do not have, so listing form-data in `nodeBuild` fails the deploy naming http" },
  { pkg: 'jsdom', probe: 'jsdom', exercises: 'parse a document, query and change it', known: 'it deploys (its imports of `vm`, `worker_threads` and, through undici, `http` are stubs that throw when called) but does not start: undici imports `async_hooks`, so the bundle has its async functions and async generators compiled to generators (for AsyncLocalStorage), and whatwg-url reads the prototype of an async generator function at load; past that it would need `vm` (script contexts). It does not load in workerd either' },
  { pkg: 'winston', probe: 'winston', exercises: 'createLogger with a transport of its own, json/splat/timestamp/errors formats, child, end' },
  { pkg: 'pdf-lib', probe: 'pdf-lib', exercises: 'create a PDF with a standard font and shapes, fixed dates, save and load back (SHA-256 of the bytes)' },
  { pkg: 'qrcode', probe: 'qrcode', exercises: 'SVG and UTF-8 codes, a PNG data URL (pngjs: zlib, streams)', known: "the package's browser build is bundled (as for Workers): its toDataURL draws on a canvas, which functions do not have (toString to SVG or text works)" },
  { pkg: 'mongodb', probe: 'mongodb', exercises: 'MongoClient from a connection string, ObjectId, BSON serialize/deserialize with Long and Decimal128 (offline)' },
  { pkg: 'ioredis', exercises: 'reference: PING against a real Redis in the drivers end-to-end tests, not in this suite' },
  { pkg: 'nodemailer', exercises: 'reference: a message sent to an SMTP sink in the drivers end-to-end tests, not in this suite' },
];
