// Runs a wasm32-wasip1 test binary under Node.js's built-in WASI (cargo's `runner` for that
// target): `node .cargo/wasi-runner.mjs <binary.wasm> [test args...]`.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import process from 'node:process';

const [wasmPath, ...args] = process.argv.slice(2);
const wasi = new WASI({
  version: 'preview1',
  args: [wasmPath, ...args],
  env: process.env,
  preopens: { '/': '/' },
  returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(wasmPath));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
// Exit at once with the test binary's code instead of letting Node wind down. In one CI run
// (Node 20.20.2, AMD Zen 5) Node died of SIGSEGV after a test binary had printed its passing
// results; about 45 runs since did not repeat it. Such crashes at teardown are reported for
// processes with large WebAssembly memories (tests/paths.rs allocates inputs over 64 MiB);
// `process.exit` skips that teardown, and the binary's output is already written (WASI writes
// go straight to the file descriptors).
process.exit(wasi.start(instance));
