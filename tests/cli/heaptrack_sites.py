#!/usr/bin/python3
"""heaptrack_sites.py N — reads a heaptrack data file (heaptrack 1.4's text format,
decompressed) on stdin and prints its top N allocation sites by bytes allocated, one
"BYTES FILE:LINE" line each: a site is the innermost frame of an allocation's trace
(the program's call into malloc). For heaptrack_agree.sh, which compares them with
hakmem-trace profile's."""
import sys


def main():
    top = int(sys.argv[1])
    strings, ips, traces, infos, by_trace = [''], [None], [(0, 0)], [], {}
    for line in sys.stdin:
        f = line.split()
        if not f:
            continue
        if f[0] == 's':    # s LEN STRING: strings are numbered from 1
            strings.append(line.rstrip('\n').split(' ', 2)[2])
        elif f[0] == 'i':  # i IP MODULE [FUNCTION FILE LINE]...: numbered from 1
            ips.append(f[1:])
        elif f[0] == 't':  # t IP_INDEX PARENT_TRACE: numbered from 1
            traces.append((int(f[1], 16), int(f[2], 16)))
        elif f[0] == 'a':  # a SIZE TRACE: numbered from 0
            infos.append((int(f[1], 16), int(f[2], 16)))
        elif f[0] == '+':  # + ALLOCATION_INFO: one allocation
            size, trace = infos[int(f[1], 16)]
            by_trace[trace] = by_trace.get(trace, 0) + size
    sites = {}
    for trace, b in by_trace.items():
        ip = ips[traces[trace][0]]
        name = '?'
        if len(ip) >= 5:
            name = strings[int(ip[3], 16)].rsplit('/', 1)[-1] + ':' + str(int(ip[4], 16))
        sites[name] = sites.get(name, 0) + b
    for name, b in sorted(sites.items(), key=lambda x: (-x[1], x[0]))[:top]:
        print(b, name)


main()
