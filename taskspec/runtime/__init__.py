"""Run time: what a compiled task needs to run, and nothing of the compiler.

- `env`: the hand-written `TrialEnv` base (reset, step, seeding, serving trials), over its bases
  `neurogym` (NeuroGym's surface), `history` (session variables, trial history), `hooks` (what a
  generated class defines, as the step machine's rules) and `located` (errors at spec lines);
  `spaces`: named spaces; `serving`: a chunk of trials as the single env reads them;
- `info`: `TaskInfo`, the typed record each generated class gives its base;
- `source`: the `Batch` and the interfaces of trial sources (`TrialSource`, `TrialMaker`, `Player`);
- `trials`: building batches of trials with array operations; `rollout`: trials a policy plays;
- `machine`: the meaning of one step over an array namespace (NumPy, jax.numpy, or `scalar`:
  plain numbers, as the single env runs it);
- `weights`: loss weights, over an array namespace too;
- `functions`: the functions expressions may call (`fn.*` in generated code);
- `params`: checks of parameter, reward and timing overrides;
- `actions`: checks of actions against the action space;
- `vector`: the native vector env, and the stepped one for one-episode-per-trial tasks.

Generated modules import `TrialEnv` and `fn` from here. Nothing in this package imports the
compiler or the library: the library (taskspec.library) is the one door between them.
"""

from . import functions as fn
from .env import NamedBox, NamedDiscrete, TrialEnv
from .info import ParamInfo, TaskInfo
from .trials import Batch

__all__ = ["Batch", "NamedBox", "NamedDiscrete", "ParamInfo", "TaskInfo", "TrialEnv", "fn"]
