// Fail early, with the command to run, when the wasm package the page loads has not been built.
const fs = require('fs');
const path = require('path');

module.exports = async () => {
  const pkg = path.resolve(__dirname, '../../www/pkg/redis_ha_sim_web_bg.wasm');
  if (!fs.existsSync(pkg)) {
    throw new Error(
      `The page's wasm package is missing (${pkg}).\n` +
        'Build it from the repository root first:\n' +
        '  wasm-pack build web --release --target web --out-dir ../www/pkg --no-pack',
    );
  }
};
