"""The browser backend: a task as a page people run, and the check that the page ran the same task."""
