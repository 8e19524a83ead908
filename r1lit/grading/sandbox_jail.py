"""Kernel-level confinement used by the sandbox launcher: namespaces, the program's file tree, seccomp.

Loaded by `sandbox_launcher.py` as a top-level module (stdlib only, no r1lit imports); every
function here runs in the launcher's processes, never in the harness.

The file tree a program sees is built from an allow-list, not by hiding a deny-list: a fresh tmpfs
root that holds read-only binds of the system dirs (/usr, /bin, /lib, ...), the interpreter's
prefix (its standard library), a private /dev with the harmless devices, a private size-limited
/tmp (also on /var/tmp and /dev/shm), and a /proc of the program's own pid namespace. The
checkout, the data, /home, /root and the harness's run dir are simply absent, for the eval harness
and the code reward alike. `hide_paths` additionally covers dirs *inside* that tree (a path that is
not in the tree is already invisible and is skipped).
"""

from __future__ import annotations

import ctypes
import os
import resource
import struct

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND = 1, 2, 4, 8, 32, 4096
MS_REC, MS_PRIVATE = 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP = 1, 4, 24, 38, 22
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
DEVICES = ("null", "zero", "full", "random", "urandom")
SCRATCH_ALIASES = ("/var/tmp", "/dev/shm", "/run/lock")  # world-writable dirs that share the /tmp tmpfs
# seccomp: (AUDIT_ARCH, clone, unshare, clone3) syscall numbers per machine
SECCOMP_ARCH = {"x86_64": (0xC000003E, 56, 272, 435), "aarch64": (0xC00000B7, 220, 97, 435)}


def libc() -> ctypes.CDLL:
    """The C library with `mount`'s argument types declared."""
    lib = ctypes.CDLL(None, use_errno=True)
    lib.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
    return lib


def check(ret: int, what: str) -> None:
    """Raise OSError with errno when a libc call returned non-zero."""
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(lib, src: str | None, dst: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: None if s is None else s.encode()  # noqa: E731
    check(lib.mount(enc(src), enc(dst), enc(fstype), flags, enc(data)), f"mount {dst}")


def unshare(lib) -> dict[str, bool]:
    """Enter new network, mount and pid namespaces (as root, or inside a new user namespace otherwise)."""
    flags = CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID
    uid, gid = os.geteuid(), os.getegid()
    try:
        check(lib.unshare(flags if uid == 0 else flags | CLONE_NEWUSER), "unshare")
    except OSError:
        return {"netns": False, "mountns": False, "pidns": False}
    if uid != 0:  # map our uid/gid into the new user namespace (file owners read right)
        for name, text in (
            ("setgroups", "deny"),
            ("uid_map", f"{uid} {uid} 1"),
            ("gid_map", f"{gid} {gid} 1"),
        ):
            try:
                with open(f"/proc/self/{name}", "w") as fh:
                    fh.write(text)
            except OSError:
                pass
    return {"netns": True, "mountns": True, "pidns": True}


def _inside(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _bind_ro(lib, src: str, dst: str) -> None:
    mount(lib, src, dst, None, MS_BIND | MS_REC)
    mount(lib, None, dst, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _system_dirs(lib, root: str) -> list[str]:
    """Bind the system dirs read-only (symlinks such as /bin -> usr/bin are re-created); the bound ones."""
    bound = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            os.symlink(os.readlink(path), root + path)
        elif os.path.isdir(path):
            os.makedirs(root + path)
            _bind_ro(lib, path, root + path)
            bound.append(path)
    return bound


def _devices(lib, root: str) -> None:
    os.makedirs(root + "/dev")
    mount(lib, "tmpfs", root + "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755")
    for name in DEVICES:
        target = f"{root}/dev/{name}"
        open(target, "w").close()  # noqa: SIM115 - a mount point for the device node
        mount(lib, f"/dev/{name}", target, None, MS_BIND)
    for name, dest in (("stdin", 0), ("stdout", 1), ("stderr", 2)):
        os.symlink(f"/proc/self/fd/{dest}", f"{root}/dev/{name}")
    os.symlink("/proc/self/fd", f"{root}/dev/fd")


def build_root(lib, cfg: dict) -> str:
    """Populate `cfg["root_dir"]` (in a private mount namespace) with the program's file tree.

    The tree: system dirs and the interpreter's dirs (`cfg["expose"]`) read-only, /dev, a scratch
    /tmp owned by the program's uid, an empty /proc (mounted by the pid namespace's init, see
    `enter_root`), `hide_paths` covered, and the tree's own tmpfs finally made read-only.
    """
    mount(lib, None, "/", None, MS_REC | MS_PRIVATE)
    root = cfg["root_dir"]
    mount(lib, "tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    bound = _system_dirs(lib, root)
    for path in cfg["expose"]:  # realpaths, e.g. a pyenv under /root or a venv in a checkout
        if not any(_inside(path, b) for b in bound):
            os.makedirs(root + path, exist_ok=True)
            _bind_ro(lib, path, root + path)
    _devices(lib, root)
    owner = f",uid={cfg['uid']},gid={cfg['gid']}" if cfg["uid"] is not None else ""
    os.makedirs(root + "/tmp")
    mount(
        lib,
        "tmpfs",
        root + "/tmp",
        "tmpfs",
        MS_NOSUID | MS_NODEV,
        f"size={cfg['scratch_mb']}m,mode=0700{owner}",
    )
    for alias in SCRATCH_ALIASES:
        os.makedirs(root + alias, exist_ok=True)
        mount(lib, root + "/tmp", root + alias, None, MS_BIND)
    os.makedirs(root + "/proc")
    for hide in cfg["hide_paths"]:  # only what the tree shows needs covering (e.g. a package's data)
        if os.path.isdir(root + hide):
            mount(lib, "tmpfs", root + hide, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "size=4k,mode=0755")
    mount(lib, None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    return root


def enter_root(lib, root: str, pidns: bool) -> None:
    """Mount this pid namespace's /proc in `root`, then chroot into it (cwd: the scratch /tmp)."""
    if pidns:  # only the namespace's own processes are listed; the host's command lines are not
        mount(lib, "proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.chdir(root)
    os.chroot(".")
    os.chdir("/tmp")


def no_new_privs(lib) -> None:
    check(lib.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")


def not_dumpable(lib) -> None:
    """Same-uid processes may no longer ptrace us or open our /proc/<pid>/{mem,fd,environ}."""
    check(lib.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl(SET_DUMPABLE)")


def drop_capabilities(lib) -> None:
    """Empty the bounding, effective, permitted and inheritable capability sets (e.g. those a new
    user namespace grants): mounts cannot be undone nor the chroot left."""
    for cap in range(64):
        if lib.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break  # past the last capability the kernel knows
    header = struct.pack("=Ii", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = ctypes.create_string_buffer(24)  # two zeroed {effective, permitted, inheritable}
    check(lib.capset(header, data), "capset")


def _bpf(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def seccomp_no_namespaces(lib) -> bool:
    """Refuse new user namespaces (unshare / clone with CLONE_NEWUSER: EPERM; clone3: ENOSYS, so libc
    falls back to clone). False when this machine's syscall numbers are not known here."""
    arch = SECCOMP_ARCH.get(os.uname().machine)  # not `platform`: its import costs every run
    if arch is None:
        return False
    audit, nr_clone, nr_unshare, nr_clone3 = arch
    ld_w, jeq, jset, ret = 0x20, 0x15, 0x45, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_JMP|JSET|K, BPF_RET|K
    allow, eperm, enosys = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
    prog = [
        _bpf(ld_w, 0, 0, 4),  # seccomp_data.arch
        _bpf(jeq, 1, 0, audit),
        _bpf(ret, 0, 0, allow),
        _bpf(ld_w, 0, 0, 0),  # seccomp_data.nr
        _bpf(jeq, 0, 1, nr_clone3),
        _bpf(ret, 0, 0, enosys),
        _bpf(jeq, 1, 0, nr_clone),
        _bpf(jeq, 0, 3, nr_unshare),
        _bpf(ld_w, 0, 0, 16),  # low word of args[0]: the flags of clone and unshare
        _bpf(jset, 0, 1, CLONE_NEWUSER),
        _bpf(ret, 0, 0, eperm),
        _bpf(ret, 0, 0, allow),
    ]
    filters = ctypes.create_string_buffer(b"".join(prog))
    fprog = struct.pack("@HP", len(prog), ctypes.addressof(filters))  # struct sock_fprog
    check(lib.prctl(PR_SET_SECCOMP, 2, ctypes.c_char_p(fprog), 0, 0), "prctl(SET_SECCOMP)")
    return True


def set_rlimits(cfg: dict) -> None:
    """CPU seconds, address space, processes + threads, open files, file size, no core files."""
    cpu = int(cfg["cpu_s"])
    for res, val in (
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_AS, (cfg["as_mb"] << 20,) * 2),
        (resource.RLIMIT_NPROC, (cfg["nproc"],) * 2),
        (resource.RLIMIT_NOFILE, (cfg["nofile"],) * 2),
        (resource.RLIMIT_FSIZE, (cfg["file_mb"] << 20,) * 2),
        (resource.RLIMIT_CORE, (0, 0)),
    ):
        resource.setrlimit(res, val)
