// Builds ui/dist from ui/src: one minified bundle of the page's script with
// the parts of ECharts it imports (esbuild), the HTML and the stylesheets.
// Deterministic: the same sources and lockfile give the same bytes, which
// the dashboard test checks against the committed ui/dist.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] || join(here, 'dist');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(here, 'src/app.js')],
  outfile: join(out, 'app.js'),
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome100', 'firefox100', 'safari15'],
  legalComments: 'eof',
  charset: 'utf8',
  logLevel: 'warning',
});
for (const f of ['index.html', 'app.css', 'print.css']) copyFileSync(join(here, 'src', f), join(out, f));
