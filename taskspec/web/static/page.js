/* page.js: the standalone experiment page written by `taskspec web`.
 *
 * Reads its settings from the JSON block #taskspec-config (written by taskspec/web/experiment.py),
 * shows the instructions until the start button is pressed, runs the trials full screen on a
 * canvas (taskspec-session.js), then offers the log as CSV and JSON downloads. The seed is drawn
 * afresh for each participant unless the address gives one (index.html?seed=12), which tests use.
 * `window.taskspecExperiment` exposes the settings, the session and its log to scripts and tests.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("taskspec-config").textContent);

  function seedFromAddress() {
    const text = new URLSearchParams(window.location.search).get("seed");
    if (text !== null && /^[0-9]{1,9}$/.test(text)) return Number(text);
    const words = new Uint32Array(1);
    window.crypto.getRandomValues(words);
    return words[0] % 2147483647;
  }

  function show(id) {
    for (const screen of document.querySelectorAll(".screen")) screen.hidden = screen.id !== id;
  }

  function downloadLink(id, text, type, name) {
    const link = document.getElementById(id);
    link.href = URL.createObjectURL(new Blob([text], { type: type }));
    link.download = name;
  }

  function finish(log) {
    const stem = "taskspec-" + log.task.replace(/[^A-Za-z0-9_.-]/g, "_") + "-" + log.seed;
    const json = JSON.stringify(log, null, 1);
    const csv = taskspecSession.csvText(log);
    experiment.json = json;
    experiment.csv = csv;
    downloadLink("download-json", json, "application/json", stem + ".json");
    downloadLink("download-csv", csv, "text/csv", stem + ".csv");
    experiment.done = true;
    show("end");
  }

  const experiment = { config: config, seed: seedFromAddress(), session: null, log: null, done: false };
  window.taskspecExperiment = experiment;

  function start() {
    const env = taskspec.makeEnv(config.task, { seed: experiment.seed, params: config.params });
    const canvas = document.getElementById("display");
    const side = Math.min(window.innerWidth, window.innerHeight) - 20;
    canvas.width = canvas.height = Math.max(200, side);
    const session = new taskspecSession.Session(env, {
      keys: config.keys,
      trials: config.trials,
      feedbackMs: config.feedback_ms,
      params: config.params,
      seed: experiment.seed,
      userAgent: navigator.userAgent,
      canvas: canvas,
    });
    experiment.session = session;
    experiment.log = session.log;
    show("run");
    session.start(window).then(finish);
  }

  document.getElementById("start").addEventListener("click", start);
  show("instructions");
})();
