/** The deployed files the bundler embeds for `fs` (relative path → base64), see src/deploy/node-layer.ts. */
declare module 'nimbus:bundle-files' {
  const files: Readonly<Record<string, string>>;
  export default files;
}
