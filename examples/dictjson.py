# dictjson.py — the python dict/JSON workload of tests/integration/python.sh, for
# make bench's profiler suite (run with PYTHONMALLOC=malloc, so every object is a
# malloc): prints "dictjson: N entries in S s".
import hashlib, json, sys, time

t0 = time.perf_counter()
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
print("dictjson: %d entries in %.3f s %s" % (n, time.perf_counter() - t0, h.hexdigest()[:16]))
