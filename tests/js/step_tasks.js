// Runs scripted trials of taskspec tasks in Node for tests/test_js_backend.py.
// Reads one JSON job from stdin: {runtime, scripts: [paths], jobs: [{task, seed, params, trials:
// [{overrides, durations, actions}]}]}; writes, per job, what each trial did step by step.
"use strict";
const fs = require("fs");
const job = JSON.parse(fs.readFileSync(0, "utf8"));
const taskspec = require(job.runtime);
for (const path of job.scripts) new Function("taskspec", fs.readFileSync(path, "utf8"))(taskspec);

function plain(obs) {
  return Array.from(obs);
}

const results = job.jobs.map((run) => {
  try {
    const env = taskspec.makeEnv(run.task, { seed: run.seed, params: run.params || {} });
    env.reset();
    return run.trials.map((trial) => {
      const first = env.newTrial(trial.overrides, trial.durations);
      const steps = [];
      for (const action of trial.actions) {
        const out = env.step(action);
        const row = { reward: out.reward, period: out.info.period, gt: out.info.gt, end: out.info.newTrial, obs: plain(out.obs) };
        if (out.info.newTrial) row.performance = out.info.performance;
        steps.push(row);
        if (out.terminated) row.terminated = true;
        if (out.info.newTrial) break;
      }
      return { first: plain(first.obs), trial: first.info.trial, steps, last: env.lastTrial };
    });
  } catch (err) {
    return { error: String(err && err.stack ? err.stack : err) };
  }
});
process.stdout.write(JSON.stringify(results));
