'use strict';
// Stand-in for the npm package p12-pem, which the registry here does not serve.
// node-tak only needs it to read PKCS#12 bundles; the interop tests hand it PEM files.
function notSupported() {
  throw new Error('p12-pem: not supported: use PEM files');
}
module.exports = { getPemFromP12: notSupported };
module.exports.default = module.exports;
