#!/usr/bin/env python3
"""check_layout.py: holds the code to the layout of docs/architecture.md.

usage: check_layout.py SOURCE_ROOT [BUILD_ROOT]

1. Includes. Every #include of a project header must name a folder that the
   including file's folder may use, per the table between the two
   "check_layout" markers of docs/architecture.md. A header of the file's own
   folder is named bare; any other by its path from the project's root; the
   public headers (manne.h, manne_status.h) by their installed names.
2. Libraries that belong to one folder: <lmdb.h> only in ledger/store,
   <event2/...> only in ledger/server (tests excepted).
3. Calls (with BUILD_ROOT): no two source files may call each other, directly
   or around a loop. Read from the symbols of the built objects: a file that
   uses a symbol another defines depends on it; a cycle of such dependencies
   is a strongly connected component of more than one file.

Prints every violation and exits 1 if there is one; TAP-free, so meson reads
the exit code.
"""
import os
import re
import subprocess
import sys

ARCHITECTURE = 'docs/architecture.md'
BEGIN = '<!-- check_layout: the table below is read by tests/check_layout.py -->'
END = '<!-- check_layout: end -->'
PUBLIC_HEADERS = {'manne.h': 'client', 'manne_status.h': 'ledger/log'}
GENERATED_HEADERS = {'manne.pb-c.h': 'proto'}
# The store alone speaks LMDB; libevent serves the daemon's loop and the
# checkout page's small HTTP server, nothing else.
OWNED_LIBRARIES = [('lmdb.h', ('ledger/store',)), ('event2/', ('ledger/server', 'tools/checkout'))]
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def allowed_table(root):
    text = open(os.path.join(root, ARCHITECTURE), encoding='utf-8').read()
    if BEGIN not in text or END not in text:
        sys.exit('%s: the check_layout table is missing' % ARCHITECTURE)
    table = {}
    for line in text[text.index(BEGIN):text.index(END)].splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cells) != 2 or cells[0] in ('folder', '') or cells[0].startswith('---'):
            continue
        table[cells[0]] = {f.strip() for f in cells[1].split(',') if f.strip()}
    return table


def folder_of(root, path, folders):
    """The table's folder holding path (relative to root), or None."""
    rel = os.path.relpath(path, root)
    best = None
    for f in folders:
        if (rel == f or rel.startswith(f + '/')) and (best is None or len(f) > len(best)):
            best = f
    return best


def check_includes(root, table):
    problems = []
    folders = set(table) | {'proto'}
    for folder in sorted(table):
        base = os.path.join(root, folder)
        for name in sorted(os.listdir(base)):
            if not name.endswith(('.c', '.h')):
                continue
            path = os.path.join(base, name)
            text = open(path, encoding='utf-8').read()
            for kind, header in INCLUDE.findall(text):
                where = None
                if header in PUBLIC_HEADERS:
                    where = PUBLIC_HEADERS[header]
                elif kind == '<':
                    for prefix, owners in OWNED_LIBRARIES:
                        if header.startswith(prefix) and folder not in owners + ('tests',):
                            problems.append('%s/%s: <%s> belongs to %s only' % (folder, name, header,
                                                                              ' and '.join(owners)))
                    continue
                elif header in GENERATED_HEADERS:
                    where = GENERATED_HEADERS[header]
                elif '/' not in header:
                    if not os.path.exists(os.path.join(base, header)):
                        problems.append('%s/%s: "%s" is not in %s: name it by its path from the root'
                                        % (folder, name, header, folder))
                        continue
                    where = folder
                else:
                    target = os.path.join(root, header)
                    if not os.path.exists(target):
                        problems.append('%s/%s: "%s" does not exist' % (folder, name, header))
                        continue
                    where = folder_of(root, target, folders)
                    if where == folder:
                        problems.append('%s/%s: "%s" is in its own folder: name it bare' % (folder, name, header))
                        continue
                if where != folder and where not in table[folder]:
                    problems.append('%s/%s: includes "%s" of %s, which %s may not use (docs/architecture.md)'
                                    % (folder, name, header, where, folder))
    return problems


def object_sources(build):
    """Maps each source file (folder/name.c, from the object's target folder)
    to one of its objects; tests and generated code are left out."""
    sources = {}
    for dirpath, _, files in os.walk(build):
        rel = os.path.relpath(dirpath, build)
        if rel.startswith(('tests', 'proto', 'meson-')) or not rel.endswith('.p'):
            continue
        for f in files:
            if f.endswith('.c.o') and not f.startswith(('manne.pb-c', '.._')):
                key = os.path.dirname(rel) + '/' + f[:-2]
                sources.setdefault(key, os.path.join(dirpath, f))
    return sources


def symbols(obj):
    out = subprocess.run(['nm', obj], capture_output=True, text=True, check=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == 'U':
            used.add(parts[1])
        elif len(parts) == 3 and parts[1] in 'TDBRVW' and parts[2] != 'main':
            defined.add(parts[2])
    return defined, used


def strongly_connected(graph):
    """Tarjan's algorithm, iterative; returns the components."""
    index, low, on_stack, stack, components, counter = {}, {}, set(), [], [], [0]
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            advanced = False
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                components.append(component)
    return components


def check_calls(build):
    sources = object_sources(build)
    if len(sources) < 20:
        return ['%s: too few built objects (%d): build first' % (build, len(sources))]
    defined, used = {}, {}
    for src, obj in sources.items():
        defined[src], used[src] = symbols(obj)
    owner = {}
    for src, names in defined.items():
        for name in names:
            owner.setdefault(name, set()).add(src)
    graph = {src: set() for src in sources}
    for src, names in used.items():
        for name in names:
            for other in owner.get(name, ()):
                if other != src:
                    graph[src].add(other)
    problems = []
    for component in strongly_connected(graph):
        if len(component) > 1:
            problems.append('files that call each other in a loop: ' + ' '.join(sorted(component)))
    return problems


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    root = sys.argv[1]
    table = allowed_table(root)
    problems = check_includes(root, table)
    checked = 'includes of %d folders' % len(table)
    if len(sys.argv) == 3:
        problems += check_calls(sys.argv[2])
        checked += ' and calls between built objects'
    for p in problems:
        print(p)
    print('layout: %s: %d problem(s)' % (checked, len(problems)))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
