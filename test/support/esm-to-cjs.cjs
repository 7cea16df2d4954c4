// Node 20 cannot `require()` ES modules inside Jest (Jest needs Node 24.9+ for that), yet CommonJS
// dependencies now require ESM-only packages (e.g. @fastify/static -> content-disposition).
// Such files are converted to CommonJS when, and only when, they are required.
const { transformSync } = require('esbuild');

const ESM_SYNTAX = /^\s*(import\s*[\w{*'"]|export\s)/m;

module.exports = {
  process(source, filename, options) {
    if (options.supportsStaticESM || !ESM_SYNTAX.test(source)) return { code: source };
    const { code, map } = transformSync(source, {
      format: 'cjs',
      loader: 'js',
      target: 'node20',
      sourcefile: filename,
      sourcemap: 'inline',
      supported: { 'dynamic-import': true },
    });
    return { code, map };
  },
  getCacheKey(source, filename, options) {
    return `${filename}:${options.supportsStaticESM}:${require('node:crypto').createHash('sha1').update(source).digest('hex')}`;
  },
};
