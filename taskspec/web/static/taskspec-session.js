/* taskspec-session.js: runs trials of one taskspec env in real time for a person, and logs them.
 *
 * Used by the standalone page (page.js) and by the jsPsych plugin (jspsych-taskspec.js); both read
 * the same records, so a trial is logged the same way wherever it ran. Classic script: defines the
 * global `taskspecSession` (pages open from disk, where module imports are blocked).
 *
 * Timing: step k of a trial covers [start + k*dt, start + (k+1)*dt) on the performance.now() clock,
 * with `start` the time of the frame that first drew the trial's ob[0]. Each animation frame
 * judges every step whose interval has ended (so a slow frame never stretches a trial), then
 * draws the observation now due. A step's action is the action of the first mapped key pressed
 * during it, else the env's fixate action (or 0); a press that arrives after its step was judged
 * counts for the next step still open.
 */
(function (root) {
  "use strict";

  function defaultAction(env) {
    return env.fixateAction === null || env.fixateAction === undefined ? 0 : env.fixateAction;
  }

  /* One finished trial as the log stores it (docs/people.md, "The log"). */
  function trialRecord(env, index, last, presses, frames) {
    const dt = env.dt;
    const steps = last.steps;
    // The response: the first press while one was asked for (the ground truth was not to fixate);
    // failing that, the first press at all (a response too early, which some tasks let pass).
    const fixate = defaultAction(env);
    let choiceStep = -1, early = -1;
    for (let k = 0; k < steps.action.length; k++) {
      if (presses[k] === undefined) continue;
      if (steps.gt[k] !== fixate) {
        choiceStep = k;
        break;
      }
      if (early < 0) early = k;
    }
    if (choiceStep < 0) choiceStep = early;
    // A period's onset: the first frame that showed one of its steps (a stalled frame may skip some).
    const onsets = {};
    for (const name of Object.keys(last.periods)) {
      const bounds = last.periods[name];
      const stop = Math.min(Math.round(bounds[1] / dt), steps.action.length);
      for (let k = Math.round(bounds[0] / dt); k < stop; k++) {
        if (frames[k] !== undefined) {
          onsets[name] = frames[k];
          break;
        }
      }
    }
    const pressMs = steps.action.map((_, k) => (presses[k] === undefined ? null : presses[k].ms));
    return {
      index: index,
      trial: last.trial,
      periods: last.periods,
      steps: steps,
      performance: last.performance,
      reward: last.reward,
      timed_out: Boolean(last.timedOut),
      choice: choiceStep < 0 ? -1 : steps.action[choiceStep],
      response_time_ms: choiceStep < 0 ? null : presses[choiceStep].ms,
      choice_step: choiceStep,
      target: choiceStep < 0 ? -1 : steps.gt[choiceStep],
      press_ms: pressMs,
      onsets_ms: onsets,
    };
  }

  function newLog(env, options) {
    return {
      format: "taskspec-human-log",
      version: 1,
      task: env.name,
      params: options.params || {},
      dt: env.dt,
      seed: options.seed,
      generator: root.taskspec ? root.taskspec.generator : null,
      keys: options.keys,
      period_names: env.periods.slice(),
      user_agent: options.userAgent || "",
      trials: [],
    };
  }

  /* CSV: one row per trial, the columns of `taskspec dataset`'s Parquet trial columns plus the outcome
   * and the person's response (period bounds in steps of dt; a vector variable as a JSON list). */
  function csvCell(value) {
    if (value === null || value === undefined || (typeof value === "number" && Number.isNaN(value))) return "";
    const text = typeof value === "object" ? JSON.stringify(value) : String(value);
    return /[",\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function csvText(log) {
    const variables = [];
    for (const t of log.trials) for (const name of Object.keys(t.trial)) if (!variables.includes(name)) variables.push(name);
    const header = ["trial", "length"]
      .concat(variables.map((v) => "trial_" + v))
      .concat(log.period_names.map((p) => "start_" + p))
      .concat(log.period_names.map((p) => "end_" + p))
      .concat(["performance", "reward", "timed_out", "choice", "response_time_ms", "target", "choice_step"]);
    const lines = [header.map(csvCell).join(",")];
    for (const t of log.trials) {
      const bound = (p, i) => (t.periods[p] === undefined ? null : Math.round(t.periods[p][i] / log.dt));
      const row = [t.index, t.steps.action.length]
        .concat(variables.map((v) => t.trial[v]))
        .concat(log.period_names.map((p) => bound(p, 0)))
        .concat(log.period_names.map((p) => bound(p, 1)))
        .concat([t.performance, t.reward, t.timed_out, t.choice, t.response_time_ms, t.target, t.choice_step]);
      lines.push(row.map(csvCell).join(","));
    }
    return lines.join("\n") + "\n";
  }

  /* Drawing: a fixation point, ring groups as discs at their angles with the value as contrast, scalar
   * groups as bars. Values are clipped to [0, 1] for display only; the log keeps the env's numbers. */
  function clip01(v) {
    return v < 0 ? 0 : v > 1 ? 1 : v;
  }

  function draw(canvas, env, obs, feedback) {
    const ctx = canvas.getContext("2d");
    const w = canvas.width, h = canvas.height, cx = w / 2, cy = h / 2, unit = Math.min(w, h);
    ctx.fillStyle = "rgb(128,128,128)";
    ctx.fillRect(0, 0, w, h);
    if (feedback) {
      ctx.fillStyle = feedback.color;
      ctx.font = Math.round(unit / 12) + "px sans-serif";
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText(feedback.text, cx, cy);
      return;
    }
    if (!obs) return;
    let bars = 0;
    for (const group of env.observation) {
      const [a, b] = group.columns;
      if (group.kind === "fixation") {
        const v = clip01(obs[a]);
        ctx.fillStyle = "rgba(255,255,255," + v + ")";
        ctx.beginPath();
        ctx.arc(cx, cy, unit / 80, 0, 2 * Math.PI);
        ctx.fill();
      } else if (group.kind === "ring") {
        for (let j = a; j < b; j++) {
          const angle = group.angles ? group.angles[j - a] : (2 * Math.PI * (j - a)) / (b - a);
          const x = cx + 0.3 * unit * Math.cos(angle), y = cy - 0.3 * unit * Math.sin(angle);
          const v = clip01(obs[j]);
          ctx.fillStyle = "rgba(255,255,255," + v + ")";
          ctx.beginPath();
          ctx.arc(x, y, unit / 18, 0, 2 * Math.PI);
          ctx.fill();
        }
      } else {
        for (let j = a; j < b; j++, bars++) {
          const v = clip01(obs[j]);
          const x = unit * 0.05 + bars * unit * 0.05;
          ctx.fillStyle = "rgb(40,40,40)";
          ctx.fillRect(x, h * 0.6, unit * 0.03, h * 0.35);
          ctx.fillStyle = "rgb(255,255,255)";
          ctx.fillRect(x, h * 0.95 - h * 0.35 * v, unit * 0.03, h * 0.35 * v);
        }
      }
    }
  }

  function feedbackFor(reward) {
    if (reward > 0) return { text: "+" + reward, color: "rgb(40,200,60)" };
    if (reward < 0) return { text: String(reward), color: "rgb(220,50,50)" };
    return { text: "0", color: "rgb(230,230,230)" };
  }

  /* A run of `trials` trials. Drive it with press(key, t) for key presses and advance(now) once per
   * frame (start() does both with the browser's events and requestAnimationFrame). */
  class Session {
    constructor(env, options) {
      this.env = env;
      this.keys = options.keys || {};
      this.trials = options.trials;
      this.feedbackMs = options.feedbackMs === undefined ? 500 : options.feedbackMs;
      this.canvas = options.canvas || null;
      this.onTrial = options.onTrial || null;
      this.log = newLog(env, options);
      this.firstIndex = options.firstIndex || 0;
      this.state = "ready";
      this.obs = options.obs || null; // a continuing env (the jsPsych plugin) passes its next trial's ob[0]
    }

    begin(now) {
      if (this.obs === null) this.obs = this.env.reset().obs;
      this.startTrial(now);
    }

    startTrial(now) {
      this.state = "running";
      this.trialStart = now;
      this.k = 0;
      this.presses = {};
      this.frames = {};
    }

    press(key, t) {
      if (this.state !== "running" || !Object.prototype.hasOwnProperty.call(this.keys, key)) return false;
      const ms = t - this.trialStart;
      if (ms < 0) return false;
      const k = Math.max(this.k, Math.floor(ms / this.env.dt));
      if (this.presses[k] === undefined) this.presses[k] = { action: this.keys[key], ms: ms };
      return true;
    }

    advance(now) {
      if (this.state === "feedback" && now >= this.feedbackUntil) {
        if (this.log.trials.length >= this.trials) this.state = "done";
        else this.startTrial(now);
      }
      while (this.state === "running" && now >= this.trialStart + (this.k + 1) * this.env.dt) {
        const pressed = this.presses[this.k];
        const result = this.env.step(pressed === undefined ? defaultAction(this.env) : pressed.action);
        if (result.info.newTrial) {
          this.endTrial(this.trialStart + (this.k + 1) * this.env.dt);
          // continuing tasks are already in their next trial; one-trial episodes start it with reset()
          this.obs = result.terminated ? this.env.reset().obs : result.obs;
        } else {
          this.obs = result.obs;
          this.k += 1;
        }
      }
      if (this.state === "running" && this.frames[this.k] === undefined) this.frames[this.k] = now - this.trialStart;
      if (this.canvas && this.state !== "done") {
        draw(this.canvas, this.env, this.obs, this.state === "feedback" ? this.feedback : null);
      }
    }

    endTrial(end) {
      const index = this.firstIndex + this.log.trials.length;
      const record = trialRecord(this.env, index, this.env.lastTrial, this.presses, this.frames);
      this.log.trials.push(record);
      if (this.onTrial) this.onTrial(record);
      this.state = "feedback"; // also after the last trial: its outcome is shown too
      this.feedback = feedbackFor(record.reward);
      this.feedbackUntil = end + this.feedbackMs;
    }

    /* The browser's loop: resolves with the log once the last trial ended. */
    start(target) {
      const listener = (event) => {
        if (event.repeat) return;
        if (this.press(event.key.length === 1 ? event.key.toLowerCase() : event.key, event.timeStamp)) {
          event.preventDefault();
        }
      };
      (target || root).addEventListener("keydown", listener);
      return new Promise((resolve) => {
        const frame = (now) => {
          if (this.state === "ready") this.begin(now);
          this.advance(now);
          if (this.state === "done") {
            (target || root).removeEventListener("keydown", listener);
            resolve(this.log);
          } else {
            root.requestAnimationFrame(frame);
          }
        };
        root.requestAnimationFrame(frame);
      });
    }
  }

  root.taskspecSession = { Session, trialRecord, newLog, csvText, draw, defaultAction };
})(typeof window !== "undefined" ? window : globalThis);
