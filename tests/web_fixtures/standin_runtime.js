/* TEST FIXTURE ONLY, never shipped: a hand-written stand-in for webcore's taskspec-runtime.js with
 * the contract's API (briefs: web_contract.md), so the page and session code can be tried before
 * the generated runtime exists. Not the project's runtime: a mulberry32 generator, nothing else. */
(function (root) {
  "use strict";
  const factories = {};
  function mulberry32(seed) {
    let a = seed >>> 0;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  root.taskspec = {
    generator: "stand-in mulberry32 (test fixture)",
    define: function (name, factory) { factories[name] = factory; },
    makeEnv: function (name, options) {
      return factories[name](mulberry32(options.seed || 0), options.params || {});
    },
  };
})(typeof window !== "undefined" ? window : globalThis);
