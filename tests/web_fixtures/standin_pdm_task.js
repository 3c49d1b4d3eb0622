/* TEST FIXTURE ONLY, never shipped: a hand-written stand-in for the task.js webcore generates for
 * PerceptualDecisionMaking (fixation 100, stimulus 2000, decision 100 ms; dt 100), with the
 * contract's env API. Noise-free stimulus; enough to drive the page and session code in tests. */
taskspec.define("PerceptualDecisionMaking", function (random, params) {
  const dt = 100, cohs = [0, 6.4, 12.8, 25.6, 51.2];
  const bounds = { fixation: [0, 100], stimulus: [100, 2100], delay: [2100, 2100], decision: [2100, 2200] };
  const env = {
    name: "PerceptualDecisionMaking",
    description: "stand-in",
    dt: dt,
    periods: ["fixation", "stimulus", "delay", "decision"],
    observation: [
      { name: "fixation", columns: [0, 1], kind: "fixation" },
      { name: "stimulus", columns: [1, 3], kind: "ring", angles: [0, Math.PI] },
    ],
    actions: [
      { index: 0, name: "fixation", group: "fixation" },
      { index: 1, name: "choice 1", group: "choice" },
      { index: 2, name: "choice 2", group: "choice" },
    ],
    fixateAction: 0,
    lastTrial: null,
  };
  let trial, k, steps, reward;
  function periodAt(step) {
    const t = step * dt;
    for (const p of env.periods) if (t >= bounds[p][0] && t < bounds[p][1]) return p;
    return null;
  }
  function obs(step) {
    const o = new Float64Array(3), p = periodAt(step);
    if (p === "fixation") o[0] = 1;
    if (p === "stimulus") {
      for (let j = 0; j < 2; j++) o[1 + j] = (Math.cos(Math.PI * j - Math.PI * trial.ground_truth) * trial.coh) / 200 + 0.5;
    }
    return o;
  }
  env.newTrial = function (overrides) {
    trial = Object.assign(
      { ground_truth: Math.floor(random() * 2), coh: cohs[Math.floor(random() * cohs.length)] },
      overrides || {}
    );
    k = 0;
    reward = 0;
    steps = { action: [], reward: [], period: [], gt: [] };
    return { obs: obs(0), info: { period: periodAt(0), trial: trial } };
  };
  env.reset = function () { return env.newTrial(); };
  env.step = function (action) {
    const p = periodAt(k), gt = p === "decision" ? trial.ground_truth + 1 : 0;
    let r = 0, end = false, performance = 0;
    if (p === "fixation" && action !== 0) r = -0.1; // as the spec's `response: hold fixation`: a penalty, no end
    if (p === "decision" && action !== 0) { end = true; r = action === gt ? 1 : 0; performance = r; }
    const timedOut = !end && k + 1 >= 22;
    steps.action.push(action); steps.reward.push(r); steps.period.push(p); steps.gt.push(gt);
    reward += r;
    if (end || timedOut) {
      env.lastTrial = { trial: trial, periods: bounds, steps: steps, performance: performance, reward: reward,
        timedOut: timedOut, choice: end ? action : -1, choiceT: end ? k * dt : -1 };
      const info = { period: p, gt: gt, newTrial: true, performance: performance, trial: trial };
      return { obs: env.newTrial().obs, reward: r, terminated: false, truncated: false, info: info };
    }
    k += 1;
    return { obs: obs(k), reward: r, terminated: false, truncated: false, info: { period: p, gt: gt, newTrial: false } };
  };
  return env;
});
