# dictjson.py — a dict/JSON-heavy python workload: tests/integration/python.sh runs it
# with and without hakmem (the printed digest must match), make bench's profiler suite
# times it (PYTHONMALLOC=malloc, so every object is a malloc). Argument: entries.
import hashlib, json, sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
d = {}
for i in range(n):
    d["k%06d" % ((i * 7919) % n)] = {"i": i, "s": "v" * (i % 37), "l": [i % 11, i % 7]}
s = json.dumps(d)
e = json.loads(s)
assert e == d, "json round trip changed the dict"
keys = sorted(e, key=lambda k: (e[k]["i"] % 1000, k))
h = hashlib.sha256(s.encode())
for k in keys:
    h.update(k.encode())
print(len(d), len(s), keys[0], keys[-1], h.hexdigest())
