// Fail early, with the command to run, when the wasm package the page loads (or the built-in scenarios'
// bundle beside it) has not been built.
const fs = require('fs');
const path = require('path');

module.exports = async () => {
  for (const file of ['redis_ha_sim_web_bg.wasm', 'scenarios.json']) {
    const pkg = path.resolve(__dirname, '../../www/pkg', file);
    if (!fs.existsSync(pkg)) {
      throw new Error(
        `The page's package is missing ${pkg}.\n` +
          'Build it from the repository root first:\n' +
          '  make wasm',
      );
    }
  }
};
