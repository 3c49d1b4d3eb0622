// Draws trials of taskspec tasks in Node for tests/test_js_backend.py's distribution checks.
// Reads {runtime, scripts: [paths], jobs: [{task, seed, n}]} from stdin; writes, per job, each
// trial's variables and period lengths in ms.
"use strict";
const fs = require("fs");
const job = JSON.parse(fs.readFileSync(0, "utf8"));
const taskspec = require(job.runtime);
for (const path of job.scripts) new Function("taskspec", fs.readFileSync(path, "utf8"))(taskspec);

const results = job.jobs.map((run) => {
  const env = taskspec.makeEnv(run.task, { seed: run.seed });
  env.reset();
  const trials = [];
  for (let i = 0; i < run.n; i++) {
    const { info } = env.newTrial();
    const durations = {};
    for (const name of env.periods) durations[name] = (env.stop[name] - env.start[name]) * env.dt;
    trials.push({ trial: info.trial, durations });
  }
  return trials;
});
process.stdout.write(JSON.stringify(results));
