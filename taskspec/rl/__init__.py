"""Reinforcement learning with compiled tasks: the vector envs and the bridges to SB3 and Ray/RLlib."""
