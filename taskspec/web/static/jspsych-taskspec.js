/* jspsych-taskspec.js: a jsPsych 8 plugin that runs one trial of a taskspec task per jsPsych trial.
 *
 * Needs jsPsych (global jsPsychModule), taskspec-runtime.js, the task's task.js and
 * taskspec-session.js loaded before it. Trials of one `session` (default: the task's name) share
 * one env, so session variables and trial history carry over from trial to trial as in the page;
 * `jsPsychTaskspec.block({...}, n)` is a timeline of n such trials. Each jsPsych data row holds the
 * record the page logs for a trial (docs/people.md) plus task, seed and dt, and
 * `jsPsychTaskspec.log(jsPsych)` rebuilds the page's JSON log from them (`.csv(jsPsych)` its CSV).
 */
var jsPsychTaskspec = (function (jspsych) {
  "use strict";

  const info = {
    name: "taskspec",
    version: "0.1.0",
    parameters: {
      /* The task's name, as its task.js defines it. */
      task: { type: jspsych.ParameterType.STRING, default: undefined },
      /* Trials sharing an env; a new name starts a new env. */
      session: { type: jspsych.ParameterType.STRING, default: null },
      /* Parameter overrides, as `taskspec web --param` gives them. */
      params: { type: jspsych.ParameterType.OBJECT, default: {} },
      /* {key: action index}, as taskspec-experiment.json lists them. */
      keys: { type: jspsych.ParameterType.OBJECT, default: undefined },
      /* The env's seed; null draws one when the session's first trial starts. */
      seed: { type: jspsych.ParameterType.INT, default: null },
      feedback_ms: { type: jspsych.ParameterType.FLOAT, default: 500 },
      canvas_size: { type: jspsych.ParameterType.INT, default: 600 },
    },
    data: {
      taskspec_record: { type: jspsych.ParameterType.OBJECT },
    },
  };

  const sessions = new WeakMap(); // jsPsych instance -> {session name: {env, seed, obs, done}}

  function drawSeed() {
    const words = new Uint32Array(1);
    window.crypto.getRandomValues(words);
    return words[0] % 2147483647;
  }

  class TaskspecPlugin {
    constructor(jsPsych) {
      this.jsPsych = jsPsych;
    }

    trial(displayElement, trial) {
      if (!sessions.has(this.jsPsych)) sessions.set(this.jsPsych, {});
      const name = trial.session || trial.task;
      const open = sessions.get(this.jsPsych);
      if (!open[name]) {
        const seed = trial.seed === null ? drawSeed() : trial.seed;
        open[name] = { env: taskspec.makeEnv(trial.task, { seed: seed, params: trial.params }), seed: seed, obs: null, done: 0 };
      }
      const state = open[name];
      displayElement.innerHTML = "";
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = trial.canvas_size;
      canvas.style.cursor = "none";
      displayElement.appendChild(canvas);
      const session = new taskspecSession.Session(state.env, {
        keys: trial.keys,
        trials: 1,
        feedbackMs: trial.feedback_ms,
        params: trial.params,
        seed: state.seed,
        canvas: canvas,
        obs: state.obs,
        firstIndex: state.done,
      });
      return session.start(window).then((log) => {
        state.obs = session.obs; // the next trial's ob[0]: the env has already started it
        state.done += 1;
        displayElement.innerHTML = "";
        const record = log.trials[0];
        return {
          taskspec_record: record,
          taskspec_task: state.env.name,
          taskspec_session: name,
          taskspec_seed: state.seed,
          taskspec_dt: state.env.dt,
          taskspec_params: trial.params,
          taskspec_keys: trial.keys,
          taskspec_period_names: state.env.periods.slice(),
          rt: record.response_time_ms,
          response: record.choice,
        };
      }); // jsPsych 8 ends the trial with this promise's value as its data row
    }
  }
  TaskspecPlugin.info = info;

  /* n trials of one session, as a timeline node. */
  TaskspecPlugin.block = function (parameters, n) {
    return { timeline: [Object.assign({ type: TaskspecPlugin }, parameters)], repetitions: n };
  };

  /* The page's JSON log of one session, from the rows jsPsych holds. */
  TaskspecPlugin.log = function (jsPsych, session) {
    const rows = jsPsych.data.get().values().filter((row) => row.taskspec_record && (!session || row.taskspec_session === session));
    if (rows.length === 0) return null;
    const first = rows[0];
    return {
      format: "taskspec-human-log",
      version: 1,
      task: first.taskspec_task,
      params: first.taskspec_params,
      dt: first.taskspec_dt,
      seed: first.taskspec_seed,
      generator: taskspec.generator,
      keys: first.taskspec_keys,
      period_names: first.taskspec_period_names,
      user_agent: navigator.userAgent,
      trials: rows.map((row) => row.taskspec_record),
    };
  };

  TaskspecPlugin.csv = function (jsPsych, session) {
    const log = TaskspecPlugin.log(jsPsych, session);
    return log === null ? "" : taskspecSession.csvText(log);
  };

  return TaskspecPlugin;
})(jsPsychModule);
