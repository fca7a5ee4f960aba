import init from './amavis-tune-web-ae165aff4d41.js';
init({ module_or_path: new URL('./amavis-tune-web-00b450142de8.wasm', import.meta.url) });
