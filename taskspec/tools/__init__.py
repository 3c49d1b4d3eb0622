"""Tools around a task: plots and psychometrics, the rollout lint, spec scaffolds, NeuroGym's helpers."""
