"""Gymnasium wrappers for taskspec tasks, after NeuroGym's: logging, observation extras, trial control.

Every wrapper keeps the timing contract (README): reward, `info["gt"]` and
`info["period"]` refer to the step answered, and the returned observation is the next
one. Each works on `taskspec.make(name)` and on `gymnasium.make("taskspec/<Name>-v0")`.
See docs/wrappers.md.
"""

from .base import TrialWrapper
from .ground_truth import RandomGroundTruth, SideBias, TrialHistory
from .monitor import Monitor
from .observation import Noise, PassAction, PassReward
from .reaction_time import ReactionTime
from .schedule import ScheduleEnvs

__all__ = [
    "Monitor",
    "Noise",
    "PassAction",
    "PassReward",
    "RandomGroundTruth",
    "ReactionTime",
    "ScheduleEnvs",
    "SideBias",
    "TrialHistory",
    "TrialWrapper",
]
