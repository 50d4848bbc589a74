#!/usr/bin/env node
// Build: tsc (lib + node runtimes) → dist/, then assemble each node type listed in package.json
// "node-red".nodes: dist/nodes/<type>/<type>.html (the shared editor helpers of
// nodes/_shared/editor.js, then the node's editor script + template), its help and messages under
// locales/en-US/, and the icons it uses under icons/ (Node-RED looks only beside the .js).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const dist = path.join(root, 'dist');

// Every build starts from an empty dist/: the output of a deleted or moved module must not stay
// behind and keep tests (or the packed tarball) working. (`--clean` is accepted and changes
// nothing.) Do not run two builds of one tree at once.
fs.rmSync(dist, { recursive: true, force: true });
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
} catch {
  console.error('build: TypeScript compilation failed');
  process.exit(1);
}

// Non-TypeScript library assets (simulator sample data).
const copyDir = (from, to) => {
  if (!fs.existsSync(from)) return;
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const s = path.join(from, e.name);
    const d = path.join(to, e.name);
    if (e.isDirectory()) copyDir(s, d);
    else if (!e.name.endsWith('.ts')) fs.copyFileSync(s, d);
  }
};
copyDir(path.join(root, 'lib', 'sim', 'data'), path.join(dist, 'lib', 'sim', 'data'));
copyDir(path.join(root, 'lib', 'sim', 'certs'), path.join(dist, 'lib', 'sim', 'certs'));

const problems = [];
// The device registry (help output lists) and each node's config schema (editor validators) come
// from the compiled library: one source for runtime, help and editor.
const require = createRequire(import.meta.url);
const { deviceForNode } = require(path.join(dist, 'lib', 'registry.js'));
const { outputsMarkdown, checkDescriptor } = require(path.join(dist, 'lib', 'api', 'device.js'));
const OUTPUTS_MARKER = '<!-- outputs -->';
// Every node's editor HTML starts with the shared editor helpers (window.HomeEnergyEditor): each
// type carries its own copy, so it works whichever of our node types are installed or enabled.
const sharedEditor = fs.readFileSync(path.join(root, 'nodes', '_shared', 'editor.js'), 'utf8');
if (/<\/script/i.test(sharedEditor)) problems.push('nodes/_shared/editor.js must not contain "</script"');
const editorPrelude = `<script type="text/javascript">\n${sharedEditor.trimEnd()}\n</script>\n\n`;
for (const [type, jsPath] of Object.entries(pkg['node-red'].nodes)) {
  const src = path.join(root, 'nodes', type);
  const out = path.dirname(path.join(root, jsPath));
  const editor = path.join(src, 'editor.html');
  if (!fs.existsSync(editor)) {
    problems.push(`${type}: nodes/${type}/editor.html missing`);
    continue;
  }
  fs.mkdirSync(path.join(out, 'locales', 'en-US'), { recursive: true });
  // The node's config schema (nodes/<type>/schema.ts) becomes HomeEnergyEditor.schemas[type].
  let schemaScript = '';
  const schemaJs = path.join(out, 'schema.js');
  if (fs.existsSync(schemaJs)) {
    const { configSchema } = require(schemaJs);
    if (!configSchema || !configSchema.properties) problems.push(`${type}: nodes/${type}/schema.ts must export configSchema`);
    else {
      const json = JSON.stringify(configSchema.properties).replace(/</g, '\\u003c');
      schemaScript = `<script type="text/javascript">\nwindow.HomeEnergyEditor.schemas[${JSON.stringify(type)}] = ${json};\n</script>\n\n`;
    }
  }
  fs.writeFileSync(path.join(out, `${type}.html`), editorPrelude + schemaScript + fs.readFileSync(editor, 'utf8'));
  const help = path.join(src, 'help.md');
  if (fs.existsSync(help)) {
    let md = fs.readFileSync(help, 'utf8');
    // Device nodes: the list of outputs (field, unit, meaning, source) comes from the descriptor.
    const device = deviceForNode(type);
    if (device) {
      for (const p of checkDescriptor(device.descriptor)) problems.push(`${type}: ${p}`);
      if (!md.includes(OUTPUTS_MARKER)) problems.push(`${type}: help.md needs the ${OUTPUTS_MARKER} marker (the output list of ${device.descriptor.name})`);
      md = md.replace(OUTPUTS_MARKER, outputsMarkdown(device.descriptor));
    }
    fs.writeFileSync(
      path.join(out, 'locales', 'en-US', `${type}.html`),
      `<script type="text/markdown" data-help-name="${type}">\n${md.replace(/<\/script/gi, '<\\/script')}\n</script>\n`,
    );
  } else problems.push(`${type}: nodes/${type}/help.md missing`);
  const messages = path.join(src, 'messages.json');
  if (fs.existsSync(messages)) fs.copyFileSync(messages, path.join(out, 'locales', 'en-US', `${type}.json`));
  // Copy every icon the editor names (icon: "file.svg"), from icons/.
  const html = fs.readFileSync(editor, 'utf8');
  for (const m of html.matchAll(/icon\s*:\s*["']([\w.-]+\.(?:svg|png))["']/g)) {
    const icon = path.join(root, 'icons', m[1]);
    if (!fs.existsSync(icon)) {
      problems.push(`${type}: icon ${m[1]} not found in icons/`);
      continue;
    }
    fs.mkdirSync(path.join(out, 'icons'), { recursive: true });
    fs.copyFileSync(icon, path.join(out, 'icons', m[1]));
  }
}
if (problems.length) {
  console.error('build: ' + problems.join('\nbuild: '));
  process.exit(1);
}
console.log(`build: ${Object.keys(pkg['node-red'].nodes).length} node type(s) written to dist/nodes`);
