// Runs bench/heap32.py in the official WebAssembly MicroPython (a 32-bit VM: 4-byte pointers,
// 16-byte GC blocks, as on the ESP32), under Node. One VM per process, so one scenario a run:
//
//   node bench/heap32.mjs MODULE_DIR STAGE FW HOUSEHOLD TICKS
//
// MODULE_DIR is where npm installed @micropython/micropython-webassembly-pyscript (the
// Makefile's build/mpy-wasm); STAGE is a host folder laid out as bench/heap32.py wants (hw/,
// mpy/, heap32.py, the firmware in FW, work/); it is copied into the VM's in-memory
// filesystem at the same absolute path, so every module's path (kept in the heap) has the
// same length on both ports. Prints what the VM prints; exits 1 if Python raised.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [moduleDir, stage, fw, household, ticks] = process.argv.slice(2);
const require = createRequire(join(moduleDir, "package.json"));
const entry = require.resolve("@micropython/micropython-webassembly-pyscript");
const { loadMicroPython } = await import(pathToFileURL(entry).href);

let done = false; // heap32.step() prints its figures (one JSON object) when the run is over
const mp = await loadMicroPython({
  stdout: (line) => {
    if (line.startsWith("{")) done = true;
    process.stdout.write(line + "\n");
  },
  stderr: (line) => process.stderr.write(line + "\n"),
});

function mkdirs(path) {
  let p = "";
  for (const part of path.split("/").filter(Boolean)) {
    p += "/" + part;
    try {
      mp.FS.mkdir(p);
    } catch (e) {
      // exists already
    }
  }
}

function copyTree(src) {
  mkdirs(src);
  for (const name of readdirSync(src)) {
    if (name === "__pycache__") continue;
    const p = join(src, name);
    if (statSync(p).isDirectory()) copyTree(p);
    else mp.FS.writeFile(p, readFileSync(p));
  }
}

copyTree(stage);
try {
  mp.runPython(
    // (uos, not os: importing os here would keep bench/shim/os.py from standing in for it)
    "import uos, sys\n" +
      `uos.chdir(${JSON.stringify(stage + "/work")})\n` +
      `sys.path.insert(0, ${JSON.stringify(stage)})\n` +
      "import heap32\n" +
      `heap32.start(${JSON.stringify(stage)}, ${JSON.stringify(fw)}, ${Number(household)}, ` +
      `${Number(ticks)})\n`,
  );
  // each step a top-level call: the collection a step asks for runs when it returns
  for (let i = 0; !done; i++) {
    if (i > Number(ticks) + 10) throw new Error("heap32.step() never finished");
    mp.runPython("heap32.step()");
  }
} catch (e) {
  // a PythonError: its type and message only (Node would print the whole minified module)
  process.stderr.write(`${e.type || e.name}: ${e.message}\n`);
  process.exit(1);
}
