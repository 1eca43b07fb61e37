#!/usr/bin/env python3
"""Read tests/data/dof-split.json, the declared tune/report split of the lens-blur scenes.

usage: /usr/bin/python3 tools/dof_eval/split.py [tune|report|all]   (default all)
       /usr/bin/python3 tools/dof_eval/split.py --check
prints one line per scene, tab-separated: name, role, folder, aif_f8, scenes_json -- absolute
paths ('kit:' resolved to $DOF_EVAL, default ../shared/dof-eval beside the repository) -- and
'kit' when the scene's folder is in the kit (never to be written), else 'repo'.
Also importable: scenes(role) returns the same entries as dicts.
--check: every declared scene has its files and its description; every scene folder under
tests/data/dof-*/scenes is declared; no photograph is used by both a tune and a report scene
(kit scenes are skipped, with a note, when the kit is absent). Exit status 1 on a problem.
"""
import json
import os
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
SPLIT = os.path.join(ROOT, 'tests', 'data', 'dof-split.json')
ROLES = ('tune', 'report')


def resolve(path):
    if path.startswith('kit:'):
        kit = os.environ.get('DOF_EVAL') or os.path.join(ROOT, '..', 'shared', 'dof-eval')
        return os.path.normpath(os.path.join(kit, path[4:]))
    return os.path.normpath(os.path.join(ROOT, path))


def scenes(role='all'):
    if role != 'all' and role not in ROLES:
        raise SystemExit('split.py: unknown role %r (tune, report or all)' % role)
    out = []
    for s in json.load(open(SPLIT))['scenes']:
        if s['role'] not in ROLES:
            raise SystemExit('split.py: %s has role %r' % (s['name'], s['role']))
        if role in ('all', s['role']):
            out.append(dict(s, folder=resolve(s['folder']), aif_f8=resolve(s['aif_f8']),
                            scenes_json=resolve(s['scenes_json']),
                            where='kit' if s['folder'].startswith('kit:') else 'repo'))
    return out


FILES = ('aif.png', 'depth16.png', 'mask_gt.png', 'dof_reference.png', 'camera.json')


def photos(sc):
    refs = [layer['image'] for layer in sc['layers']]
    if sc.get('ground'):
        refs.append(sc['ground']['image'])
    return {r.split(':', 1)[-1] for r in refs}


def check():
    problems, notes, used = [], [], {r: {} for r in ROLES}
    entries = scenes()
    names = [s['name'] for s in entries]
    problems += ['%s declared twice' % n for n in sorted(set(names)) if names.count(n) > 1]
    for s in entries:
        if s['where'] == 'kit' and not os.path.isdir(s['folder']):
            notes.append('%s: kit folder %s absent, skipped' % (s['name'], s['folder']))
        else:
            problems += ['%s: no %s' % (s['name'], f) for f in FILES if not os.path.isfile(os.path.join(s['folder'], f))]
        if not os.path.isfile(s['aif_f8']):
            problems.append('%s: no %s' % (s['name'], s['aif_f8']))
        if not os.path.isfile(s['scenes_json']):
            if s['where'] != 'kit':
                problems.append('%s: no %s' % (s['name'], s['scenes_json']))
            continue
        desc = [d for d in json.load(open(s['scenes_json']))['scenes'] if d['name'] == s['name']]
        if len(desc) != 1:
            problems.append('%s: described %d times in %s' % (s['name'], len(desc), s['scenes_json']))
            continue
        for ph in photos(desc[0]):
            used[s['role']].setdefault(ph, []).append(s['name'])
    for ph in sorted(set(used['tune']) & set(used['report'])):
        problems.append('%s is used by tune scenes %s and report scenes %s' % (ph, used['tune'][ph], used['report'][ph]))
    data = os.path.join(ROOT, 'tests', 'data')
    for d in sorted(os.listdir(data)):
        sd = os.path.join(data, d, 'scenes')
        if d.startswith('dof-') and os.path.isdir(sd):
            problems += ['%s is not declared in %s' % (os.path.join(sd, n), SPLIT)
                         for n in sorted(os.listdir(sd)) if n not in names]
    for m in notes + problems:
        print(m)
    print('%d scenes (%s), %d problems' % (len(entries), ', '.join('%d %s' % (sum(1 for s in entries if s['role'] == r), r)
                                                               for r in ROLES), len(problems)))
    return not problems


if __name__ == '__main__':
    if sys.argv[1:] == ['--check']:
        sys.exit(0 if check() else 1)
    for s in scenes(sys.argv[1] if len(sys.argv) > 1 else 'all'):
        print('\t'.join((s['name'], s['role'], s['folder'], s['aif_f8'], s['scenes_json'], s['where'])))
