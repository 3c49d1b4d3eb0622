"""Supervised data from compiled tasks: padded trial batches, streams, task mixes, exports, losses."""
