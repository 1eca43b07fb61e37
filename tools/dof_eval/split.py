#!/usr/bin/env python3
"""Read tests/data/dof-split.json, the declared tune/report split of the lens-blur scenes.

usage: /usr/bin/python3 tools/dof_eval/split.py [tune|report|all]   (default all)
prints one line per scene, tab-separated: name, role, folder, aif_f8, scenes_json -- absolute
paths ('kit:' resolved to $DOF_EVAL, default ../shared/dof-eval beside the repository) -- and
'kit' when the scene's folder is in the kit (never to be written), else 'repo'.
Also importable: scenes(role) returns the same entries as dicts.
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


if __name__ == '__main__':
    for s in scenes(sys.argv[1] if len(sys.argv) > 1 else 'all'):
        print('\t'.join((s['name'], s['role'], s['folder'], s['aif_f8'], s['scenes_json'], s['where'])))
