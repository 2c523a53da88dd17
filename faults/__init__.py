"""The fault suite: the whole system under the cohort simulator's traffic while a seeded
schedule breaks its parts, and a checker in the manner of Jepsen's queue checkers that holds
every acknowledged command to the read models it feeds (decision 0029). `python -m faults`."""
