/* Drives taskspec-session.js in Node with a scripted participant and a simulated frame clock, then
 * prints {"log": ..., "csv": ...} as JSON. Usage:
 *   node run_session.js SESSION.js RUNTIME.js TASK.js TASK_NAME SEED SCRIPT.json
 * SCRIPT.json: {"keys": {key: action}, "trials": n, "frame_ms": 16.667, "feedback_ms": 0,
 *               "presses": [[key, ms from the trial's first frame, optional ms it is delivered at] or null,
 *                           one per trial]} */
"use strict";
const fs = require("fs");
const vm = require("vm");
const [sessionJs, runtimeJs, taskJs, name, seed, scriptPath] = process.argv.slice(2);
for (const file of [runtimeJs, taskJs, sessionJs]) vm.runInThisContext(fs.readFileSync(file, "utf8"), { filename: file });
const script = JSON.parse(fs.readFileSync(scriptPath, "utf8"));
const env = globalThis.taskspec.makeEnv(name, { seed: Number(seed), params: script.params || {} });
const session = new globalThis.taskspecSession.Session(env, {
  keys: script.keys,
  trials: script.trials,
  feedbackMs: script.feedback_ms,
  seed: Number(seed),
  params: script.params || {},
  userAgent: "node " + process.version,
});
let now = 1000.0, pressed = -1;
while (session.state !== "done") {
  if (session.state === "ready") session.begin(now);
  const index = session.log.trials.length;
  const press = script.presses[index];
  const delivered = press ? (press.length > 2 ? press[2] : press[1]) : 0;
  if (session.state === "running" && press && pressed !== index && now >= session.trialStart + delivered) {
    session.press(press[0], session.trialStart + press[1]);
    pressed = index;
  }
  session.advance(now);
  now += script.frame_ms;
}
process.stdout.write(JSON.stringify({ log: session.log, csv: globalThis.taskspecSession.csvText(session.log) }));
