/* Drives the jsPsych plugin (jspsych-taskspec.js) in Node, without a browser or jsPsych itself: a
 * minimal stand-in for what the plugin uses of both (a timeline node's repetitions, parameter
 * defaults, the data rows; requestAnimationFrame, keydown events, a canvas that draws nothing),
 * with a simulated frame clock and a scripted participant. Prints {"rows", "log", "csv"} as JSON.
 * Usage: node run_plugin.js PLUGIN.js SESSION.js RUNTIME.js TASK.js TASK_NAME SEED SCRIPT.json
 * SCRIPT.json as for run_session.js ("presses": one [key, ms from the trial's first frame] or null
 * per trial, in order over the whole block). */
"use strict";
const fs = require("fs");
const vm = require("vm");
const [pluginJs, sessionJs, runtimeJs, taskJs, name, seed, scriptPath] = process.argv.slice(2);
const script = JSON.parse(fs.readFileSync(scriptPath, "utf8"));

let now = 1000.0;
let frames = [];
const listeners = [];
globalThis.window = globalThis;
globalThis.requestAnimationFrame = (callback) => frames.push(callback);
globalThis.addEventListener = (type, listener) => type === "keydown" && listeners.push(listener);
globalThis.removeEventListener = (type, listener) => listeners.includes(listener) && listeners.splice(listeners.indexOf(listener), 1);
if (globalThis.navigator === undefined) globalThis.navigator = { userAgent: "node " + process.version };
const drawing = new Proxy({}, { get: () => () => {}, set: () => true });
globalThis.document = { createElement: () => ({ style: {}, getContext: () => drawing }) };
globalThis.jsPsychModule = { ParameterType: { STRING: "string", OBJECT: "object", INT: "int", FLOAT: "float" } };
for (const file of [runtimeJs, taskJs, sessionJs, pluginJs]) vm.runInThisContext(fs.readFileSync(file, "utf8"), { filename: file });
const Plugin = globalThis.jsPsychTaskspec;

const rows = [];
const jsPsych = { data: { get: () => ({ values: () => rows }) } };
const display = { innerHTML: "", appendChild: () => {} };

async function runTrial(parameters, press) {
  const trial = {};
  for (const [key, info] of Object.entries(Plugin.info.parameters)) trial[key] = parameters[key] !== undefined ? parameters[key] : info.default;
  let result = null;
  new Plugin(jsPsych).trial(display, trial).then((data) => (result = data));
  let start = null;
  while (result === null) {
    const due = frames;
    frames = [];
    if (start === null && due.length) start = now; // the session begins on its first frame
    if (press && start !== null && now >= start + press[1] && press.sent === undefined) {
      press.sent = true;
      for (const listener of listeners.slice()) listener({ key: press[0], timeStamp: start + press[1], repeat: false, preventDefault: () => {} });
    }
    for (const callback of due) callback(now);
    await null;
    await null;
    now += script.frame_ms;
    if (now > 1e8) throw new Error("the trial never ended");
  }
  rows.push(Object.assign({ trial_type: "taskspec" }, result));
}

(async () => {
  const node = Plugin.block({ task: name, keys: script.keys, seed: Number(seed), feedback_ms: script.feedback_ms }, script.trials);
  for (let i = 0; i < node.repetitions; i++) {
    for (const description of node.timeline) await runTrial(description, script.presses[rows.length] || null);
  }
  const log = Plugin.log(jsPsych);
  process.stdout.write(JSON.stringify({ rows: rows, log: log, csv: Plugin.csv(jsPsych) }));
})().catch((error) => {
  process.stderr.write(String(error.stack || error));
  process.exit(1);
});
