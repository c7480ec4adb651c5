/**
 * Bound by esbuild's `inject` to code that refers to the global `URLPattern`: the
 * urlpattern-polyfill package (the URL Pattern Standard), bundled only into functions that
 * use it. A Web global, not part of the Node layer (bundling it does not load the layer).
 */
export { URLPattern } from 'urlpattern-polyfill/urlpattern';
