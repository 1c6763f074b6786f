#!/usr/bin/python3
"""Stages rootfs/ in the current directory (a service's build context) for a FROM scratch image
from installed Debian packages: every file `dpkg -L` lists for the packages named on the command
line (with the byte-code caches Debian compiled for them at install), each ELF file's shared
libraries as `ldd` reports them, /etc/passwd and /etc/group with an unprivileged user 1000 and a
world-writable /tmp (mode 1777). Greenlight runs it before each build through `prepare`.

Usage: stage_debian.py PACKAGE... [--skip PATH_PART...]  (files whose path contains a PATH_PART
are left out: translations or contrib modules the app does not use keep the context small)
"""
import os
import re
import shutil
import subprocess
import sys

ROOTFS = os.path.abspath('rootfs')
SKIP = ('/usr/share/doc/', '/usr/share/man/', '/usr/share/lintian/', '/usr/share/bug/', '/usr/share/info/')


def dest(p):
    return os.path.join(ROOTFS, p.lstrip('/'))


def copy_file(src):
    d = dest(src)
    if os.path.exists(d):
        return False
    os.makedirs(os.path.dirname(d), exist_ok=True)
    if os.path.islink(src):
        # A symlink stays a symlink (python3 -> python3.11, zoneinfo/posix/X -> ../X); a file
        # target is staged with it, a directory target by its own listing.
        os.symlink(os.readlink(src), d)
        target = os.path.realpath(src)
        if os.path.isfile(target):
            copy_file(target)
        return True
    shutil.copy2(src, d)
    return True


def is_elf(p):
    try:
        with open(p, 'rb') as f:
            return f.read(4) == b'\x7fELF'
    except OSError:
        return False


def main(argv):
    pkgs, skip = [], []
    target = pkgs
    for a in argv:
        if a == '--skip':
            target = skip
            continue
        target.append(a)
    files = []
    for pkg in pkgs:
        out = subprocess.run(['dpkg', '-L', pkg], check=True, capture_output=True, text=True).stdout
        for p in out.splitlines():
            if p.startswith(SKIP) or any(x in p for x in skip) or not os.path.lexists(p):
                continue
            if os.path.isdir(p) and not os.path.islink(p):
                cache = os.path.join(p, '__pycache__')
                if os.path.isdir(cache):
                    files.extend(os.path.join(cache, f) for f in os.listdir(cache))
                continue
            files.append(p)
    copied = sum(1 for f in files if copy_file(f))
    elves = [f for f in files if os.path.isfile(f) and is_elf(f)]
    libs = set()
    for f in elves:
        out = subprocess.run(['ldd', f], capture_output=True, text=True).stdout
        libs.update(re.findall(r'(/\S+)\s+\(0x', out))
    for lib in sorted(libs):
        d = dest(lib)
        if not os.path.exists(d):
            os.makedirs(os.path.dirname(d), exist_ok=True)
            shutil.copy2(os.path.realpath(lib), d)
    os.makedirs(dest('/etc'), exist_ok=True)
    with open(dest('/etc/passwd'), 'w') as f:
        f.write('root:x:0:0:root:/root:/nonexistent\napp:x:1000:1000:app:/app:/nonexistent\n')
    with open(dest('/etc/group'), 'w') as f:
        f.write('root:x:0:\napp:x:1000:\n')
    os.makedirs(dest('/tmp'), exist_ok=True)
    os.chmod(dest('/tmp'), 0o1777)
    print(f'stage_debian: rootfs/ has {len(files)} files of {len(pkgs)} packages ({copied} new) and {len(libs)} shared libraries')


if __name__ == '__main__':
    main(sys.argv[1:])
