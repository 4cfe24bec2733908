// Node (require): the wasm-bindgen nodejs glue loads the module synchronously on require.
'use strict';
module.exports = require('./asc_connector.cjs');
