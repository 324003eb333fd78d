/**
 * Lets `node -r ./test/support/ts-register.js src/cli.ts` run the TypeScript sources without a
 * build: each .ts file is transpiled on require (types are checked by `npm run typecheck`).
 * With TS_REGISTER_CACHE set to a directory, transpiled files are kept there by content hash, so
 * the child processes of a test file transpile each source once.
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const cacheDir = process.env.TS_REGISTER_CACHE || '';
let ts = null;

function transpile(source, filename) {
  if (ts === null) ts = require('typescript');
  return ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, inlineSourceMap: true },
  }).outputText;
}

require.extensions['.ts'] = function compileTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  let js;
  if (cacheDir !== '') {
    const key = crypto.createHash('sha256').update(filename).update('\0').update(source).digest('hex');
    const cached = path.join(cacheDir, `${key}.js`);
    try {
      js = fs.readFileSync(cached, 'utf8');
    } catch {
      js = transpile(source, filename);
      const tmp = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, js);
      fs.renameSync(tmp, cached);
    }
  } else {
    js = transpile(source, filename);
  }
  module._compile(js, filename);
};
