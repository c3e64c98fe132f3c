"""Brute-force reference model: walks the loop nests of docs/model.md §3, §4 and §6 one event at
a time and counts what happens, sharing no counting code with ``sqnxt_sim`` (issue 6)."""
